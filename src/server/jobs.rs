//! Long runs the web UI shows progress for: re-judging a large register (the portfolio). A run
//! is started once, runs off the async threads, and its page refreshes itself with how far it
//! has come until the result is there. Bounded: at most [`MAX_JOBS`] runs are kept, and a new
//! one is refused while that many are still running.

use super::api::{ApiError, ErrorCode};
use axum::http::StatusCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Runs kept at once (running or finished; the oldest finished one makes room).
pub const MAX_JOBS: usize = 8;

/// One run: what it judges, how far it has come, and its result when done.
pub struct Job<T> {
    pub id: String,
    /// What was asked (scenario, date, language): a page asks for a run by it.
    pub key: String,
    pub total: usize,
    pub done: Arc<AtomicUsize>,
    result: Mutex<Option<Result<Arc<T>, ApiError>>>,
}

impl<T> Job<T> {
    pub fn progress(&self) -> usize {
        self.done.load(Ordering::Relaxed).min(self.total)
    }

    pub fn result(&self) -> Option<Result<Arc<T>, ApiError>> {
        self.result.lock().ok()?.clone()
    }

    pub fn finish(&self, r: Result<T, ApiError>) {
        if let Ok(mut slot) = self.result.lock() {
            *slot = Some(r.map(Arc::new));
        }
    }
}

pub struct Jobs<T> {
    jobs: Mutex<Vec<Arc<Job<T>>>>,
    /// Registers up to this many systems are judged while the page waits; larger ones run as
    /// a job with progress.
    pub sync_limit: AtomicUsize,
}

impl<T> Jobs<T> {
    pub fn new(sync_limit: usize) -> Jobs<T> {
        Jobs {
            jobs: Mutex::new(Vec::new()),
            sync_limit: AtomicUsize::new(sync_limit),
        }
    }

    /// The run with this id, if it is still kept.
    pub fn get(&self, id: &str) -> Option<Arc<Job<T>>> {
        self.jobs.lock().ok()?.iter().find(|j| j.id == id).cloned()
    }

    /// A new run for `key` over `total` items; refused (busy) when [`MAX_JOBS`] are running.
    pub fn start(&self, key: &str, total: usize) -> Result<Arc<Job<T>>, ApiError> {
        let busy = || {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Busy,
                "every worker is busy; try again in a moment",
            )
        };
        let mut jobs = self.jobs.lock().map_err(|_| busy())?;
        if jobs.len() >= MAX_JOBS {
            match jobs.iter().position(|j| j.result().is_some()) {
                Some(i) => {
                    jobs.remove(i);
                }
                None => return Err(busy()),
            }
        }
        let mut bytes = [0u8; 12];
        getrandom::fill(&mut bytes).map_err(|_| busy())?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let job = Arc::new(Job {
            id,
            key: key.to_string(),
            total,
            done: Arc::new(AtomicUsize::new(0)),
            result: Mutex::new(None),
        });
        jobs.push(job.clone());
        Ok(job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_bounded_and_a_finished_one_makes_room() {
        let jobs: Jobs<u32> = Jobs::new(0);
        let first = jobs.start("a", 10).unwrap();
        for i in 1..MAX_JOBS {
            jobs.start(&format!("k{i}"), 1).unwrap();
        }
        assert!(jobs.start("too many", 1).is_err(), "all running: refused");
        first.finish(Ok(7));
        let next = jobs.start("next", 1).unwrap();
        assert!(jobs.get(&first.id).is_none(), "the finished one made room");
        assert!(jobs.get(&next.id).is_some());
        first.done.store(25, Ordering::Relaxed);
        assert_eq!(first.progress(), 10, "never more than the total");
    }
}
