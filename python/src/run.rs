//! Long calls run with the GIL released, watched: about ten times a second the run takes the
//! GIL back for a moment to check for Ctrl-C (or any signal Python handles) and to report
//! progress to a Python callable. An exception from either stops the run through IDF's cancel
//! flag, and is what the call raises: Ctrl-C ends a run within one segment as
//! `KeyboardInterrupt`, and the context stays usable.

use std::time::{Duration, Instant};

use pyo3::prelude::*;

use idf::{Cancel, Context};

use crate::errors::to_py;

/// How often a run looks at signals and reports progress.
const WATCH_EVERY: Duration = Duration::from_millis(100);

/// Runs `job(ctx, progress)` on a copy of `ctx` carrying a cancel flag, with the GIL released.
/// `callback(done, total)` is called with the progress.
pub fn watched<T>(
    py: Python<'_>,
    ctx: &Context,
    callback: Option<Bound<'_, PyAny>>,
    job: impl FnOnce(&Context, &mut dyn FnMut(u64, u64)) -> idf::Result<T> + Send,
) -> PyResult<T>
where
    T: Send,
{
    let cancel = Cancel::new();
    let ctx = ctx.with_cancel(cancel.clone());
    let callback = callback.map(Bound::unbind);
    let mut raised: Option<PyErr> = None;
    let mut last: Option<Instant> = None;
    let result = py.detach(|| {
        let mut progress = |done: u64, total: u64| {
            if raised.is_some() || last.is_some_and(|t| t.elapsed() < WATCH_EVERY && done < total) {
                return;
            }
            last = Some(Instant::now());
            let outcome = Python::attach(|py| {
                py.check_signals()?;
                if let Some(cb) = &callback {
                    cb.call1(py, (done, total))?;
                }
                Ok::<(), PyErr>(())
            });
            if let Err(e) = outcome {
                raised = Some(e);
                cancel.cancel();
            }
        };
        job(&ctx, &mut progress)
    });
    match (raised, result) {
        (Some(e), _) => Err(e),
        (None, result) => result.map_err(to_py),
    }
}
