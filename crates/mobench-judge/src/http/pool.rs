//! Running requests a few at a time: up to `concurrency` on scoped threads, results in input
//! order, and no new request once one has shown that the others cannot succeed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::Failure;

/// `work` applied to every item, at most `concurrency` at once. When an item fails in a way that
/// ends the batch ([`Failure::ends_batch`]: the key was refused, the endpoint is gone or down,
/// grading was cancelled), the items not yet started are not sent and carry that failure.
pub(crate) fn map_bounded<T, O, F>(
    items: &[T],
    concurrency: usize,
    work: F,
) -> Vec<Result<O, Failure>>
where
    T: Sync,
    O: Send,
    F: Fn(&T) -> Result<O, Failure> + Sync,
{
    let slots: Vec<Mutex<Option<Result<O, Failure>>>> =
        items.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let ended: Mutex<Option<Failure>> = Mutex::new(None);

    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(item) = items.get(i) else {
            break;
        };
        let earlier = lock(&ended).clone();
        let result = match earlier {
            Some(failure) => Err(failure),
            None => work(item),
        };
        if let Err(failure) = &result {
            if failure.ends_batch() {
                lock(&ended).get_or_insert_with(|| failure.clone());
            }
        }
        *lock(&slots[i]) = Some(result);
    };

    let threads = concurrency.max(1).min(items.len());
    if threads <= 1 {
        worker();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(worker);
            }
        });
    }

    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .expect("every item is handled before the workers end")
        })
        .collect()
}

/// A worker that panicked leaves nothing inconsistent behind these locks (each holds one value,
/// written whole), so a poisoned lock is still usable.
fn lock<V>(mutex: &Mutex<V>) -> std::sync::MutexGuard<'_, V> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
