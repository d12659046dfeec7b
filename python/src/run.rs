//! Long calls run on a worker thread while the calling (main) thread, with the GIL released,
//! watches them: about ten times a second it takes the GIL back for a moment to check for
//! Ctrl-C (or any signal Python handles) and to report progress to a Python callable. An
//! exception from either stops the run through IDF's cancel flag, which every simulation
//! checks between segments of work, and is what the call raises: Ctrl-C ends a run as
//! `KeyboardInterrupt` within a segment, whatever the job's own progress reports, and the
//! context stays usable.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use pyo3::prelude::*;

use idf::{Cancel, Context};

use crate::errors::to_py;

/// How often the watcher looks at signals and reports progress.
const WATCH_EVERY: Duration = Duration::from_millis(100);

/// Runs `job(ctx, progress)` on a worker thread with a copy of `ctx` carrying a cancel flag,
/// the GIL released; `callback(done, total)` is called with the progress from this thread.
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
    let (done, total) = (AtomicU64::new(0), AtomicU64::new(0));
    let mut raised: Option<PyErr> = None;
    let result = py.detach(|| {
        std::thread::scope(|scope| {
            let (finished, over) = mpsc::channel::<()>();
            let (ctx, done, total) = (&ctx, &done, &total);
            let worker = scope.spawn(move || {
                let result = job(ctx, &mut |d, t| {
                    done.store(d, Ordering::Relaxed);
                    total.store(t, Ordering::Relaxed);
                });
                // The watcher may have stopped listening; the result is joined either way.
                let _ = finished.send(());
                result
            });
            let mut reported = (0, 0);
            loop {
                let ended = !matches!(
                    over.recv_timeout(WATCH_EVERY),
                    Err(mpsc::RecvTimeoutError::Timeout)
                );
                let now = (done.load(Ordering::Relaxed), total.load(Ordering::Relaxed));
                let outcome = Python::attach(|py| {
                    if raised.is_none() {
                        py.check_signals()?;
                    }
                    if let Some(cb) = callback.as_ref().filter(|_| now != reported) {
                        cb.call1(py, now)?;
                    }
                    Ok::<(), PyErr>(())
                });
                reported = now;
                if let Err(e) = outcome {
                    if raised.is_none() {
                        raised = Some(e);
                        cancel.cancel();
                    }
                }
                if ended {
                    break;
                }
            }
            worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    });
    match (raised, result) {
        (Some(e), _) => Err(e),
        (None, result) => result.map_err(to_py),
    }
}
