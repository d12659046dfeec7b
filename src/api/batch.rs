//! Batching of compatible requests: while the device is busy, requests wait with a batch key;
//! whichever of them gets the device first takes every waiting request with the same key (up to
//! the size and work limits) and runs them as one job, then hands each its answer. Nothing waits
//! for a batch to fill: an idle device runs a request at once, alone.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;

use crate::context::{Cancel, Context};
use crate::error::{IdfError, Result};

/// Requests waiting for the device, with the key that says which may share a run.
pub struct Batcher<K, J, O> {
    waiting: Mutex<Vec<Waiting<K, J, O>>>,
    next_id: std::sync::atomic::AtomicU64,
}

struct Waiting<K, J, O> {
    id: u64,
    key: K,
    job: J,
    sites: usize,
    work: u64,
    cancel: Cancel,
    reply: Sender<Result<O>>,
}

/// A request's place in the batcher: where its answer arrives when another request's run
/// served it.
pub struct Ticket<O> {
    id: u64,
    answer: Receiver<Result<O>>,
}

/// How much one run may take on: the service's limits on sites and on work.
#[derive(Clone, Copy, Debug)]
pub struct BatchLimits {
    /// Most sites in one run.
    pub max_sites: usize,
    /// Most work (site evaluations) in one run.
    pub max_work: u64,
}

impl<K, J, O> Default for Batcher<K, J, O> {
    /// An empty batcher.
    fn default() -> Self {
        Batcher {
            waiting: Mutex::new(Vec::new()),
            next_id: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl<K: PartialEq, J, O> Batcher<K, J, O> {
    /// Puts a job of `sites` sites and `work` site evaluations in line; it leaves the line when
    /// a run takes it, or is dropped once `cancel` is raised (its request answered elsewhere or
    /// abandoned).
    pub fn enqueue(&self, key: K, job: J, sites: usize, work: u64, cancel: Cancel) -> Ticket<O> {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (reply, answer) = channel();
        self.lock().push(Waiting {
            id,
            key,
            job,
            sites,
            work,
            cancel,
            reply,
        });
        Ticket { id, answer }
    }

    /// Answers `ticket`; call holding the device. If another run took the job, its answer is
    /// already there. Otherwise the job runs now with every waiting job of its key that fits in
    /// `limits` (its own first, then in arrival order): `run` gets them all and answers each in
    /// order. When a shared run fails (a divergence in one of them stops all), each job runs
    /// again alone so that each gets its own answer. A shared run stops early only when every
    /// request in it was abandoned.
    pub fn serve(
        &self,
        ticket: Ticket<O>,
        ctx: &Context,
        limits: BatchLimits,
        run: impl Fn(&Context, &[J]) -> Result<Vec<O>>,
    ) -> Result<O> {
        let Some(batch) = self.take(ticket.id, limits) else {
            return ticket
                .answer
                .try_recv()
                .unwrap_or(Err(IdfError::Cancelled { step: 0 }));
        };
        let (mut jobs, mut replies, mut cancels) = (Vec::new(), Vec::new(), Vec::new());
        for w in batch {
            jobs.push(w.job);
            replies.push(w.reply);
            cancels.push(w.cancel);
        }
        let alone = |job: &J, cancel: &Cancel| -> Result<O> {
            run(&ctx.with_cancel(cancel.clone()), std::slice::from_ref(job))?
                .into_iter()
                .next()
                .ok_or_else(|| IdfError::invalid("jobs", "a run answered no job"))
        };
        let answers: Vec<Result<O>> = if jobs.len() == 1 {
            vec![alone(&jobs[0], &cancels[0])]
        } else {
            let shared = ctx.with_cancel(Cancel::all_of(cancels.clone()));
            match run(&shared, &jobs) {
                Ok(outs) if outs.len() == jobs.len() => outs.into_iter().map(Ok).collect(),
                Err(IdfError::Cancelled { step }) => jobs
                    .iter()
                    .map(|_| Err(IdfError::Cancelled { step }))
                    .collect(),
                _ => jobs
                    .iter()
                    .zip(&cancels)
                    .map(|(j, c)| alone(j, c))
                    .collect(),
            }
        };
        let mut answers = answers.into_iter();
        let own = answers
            .next()
            .unwrap_or(Err(IdfError::Cancelled { step: 0 }));
        for (reply, answer) in replies.into_iter().skip(1).zip(answers) {
            // A request that went away meanwhile drops its answer.
            let _ = reply.send(answer);
        }
        own
    }

    /// Removes the job `id` and the waiting jobs that may share its run; `None` when `id` is
    /// no longer waiting. Abandoned jobs are dropped on the way.
    fn take(&self, id: u64, limits: BatchLimits) -> Option<Vec<Waiting<K, J, O>>> {
        let mut waiting = self.lock();
        waiting.retain(|w| w.id == id || !w.cancel.is_cancelled());
        let mine = waiting.iter().position(|w| w.id == id)?;
        let first = waiting.remove(mine);
        let (mut sites, mut work) = (first.sites, first.work);
        let mut batch = vec![first];
        let mut i = 0;
        while i < waiting.len() {
            let w = &waiting[i];
            let fits = sites.saturating_add(w.sites) <= limits.max_sites
                && work.saturating_add(w.work) <= limits.max_work;
            if w.key == batch[0].key && fits {
                sites += w.sites;
                work += w.work;
                batch.push(waiting.remove(i));
            } else {
                i += 1;
            }
        }
        Some(batch)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Waiting<K, J, O>>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }
}
