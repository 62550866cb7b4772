//! Opening the run database the way every front end should: a run still marked `running` whose
//! process is gone was killed, and becomes `interrupted` (resumable) before anyone looks.

use std::path::Path;

use mobench_store::{RunStatus, Store};

use crate::error::EngineError;

/// Opens the run database, first marking runs whose process ended as interrupted.
pub fn open_store(db: &Path) -> Result<Store, EngineError> {
    let store = Store::open(db)?;
    reconcile_stale_runs(&store)?;
    Ok(store)
}

fn reconcile_stale_runs(store: &Store) -> Result<(), EngineError> {
    for (id, pid) in store.running_runs()? {
        let alive = pid.is_some_and(process_alive);
        if !alive {
            store.set_status(
                id,
                RunStatus::Interrupted,
                Some("the process running it ended before it finished"),
            )?;
        }
    }
    Ok(())
}

pub(crate) fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Ok(mut sys) = sysinfo::System::new() else {
        // Cannot tell: treat it as alive rather than steal a run from a live process.
        return true;
    };
    let pid = sysinfo::Pid::from_u32(pid);
    sys.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[pid]), true);
    sys.process(pid).is_some()
}
