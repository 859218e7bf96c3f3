//! Spill folders left behind by a process that was killed (SIGKILL, the OOM
//! killer, a crash): no destructor ran, so the next run that spills into the
//! same folder removes them (issue 18: nothing left on disk, as a database
//! clears its temporary folder when it starts). A spill folder is named
//! `custseg-spill-<host>-<pid>-<random>`; it is stale when its host is this
//! machine and no process `<pid>` runs here. A folder of another machine
//! (a shared disk) or of a live process is never touched.

use std::path::Path;

/// The name prefix of this process's spill folders.
pub(super) fn prefix() -> String {
    format!("custseg-spill-{}-{}-", host(), std::process::id())
}

/// Removes the stale spill folders under `base` (module docs); what cannot
/// be read or removed is left as it is (it is not this run's business).
pub(super) fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    let ours = format!("custseg-spill-{}-", host());
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(&ours))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| !alive(p)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether process `pid` runs on this machine.
#[cfg(target_os = "linux")]
fn alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Without /proc there is no cheap check: every folder is kept.
#[cfg(not(target_os = "linux"))]
fn alive(_pid: u32) -> bool {
    true
}

/// This machine's name, letters and digits only (the folder name splits on '-').
fn host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    if name.is_empty() {
        "host".into()
    } else {
        name
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_dead_process_folder_goes_a_live_one_and_others_stay() {
        let base = tempfile::tempdir().unwrap();
        let dead = u32::MAX - 7; // above any pid Linux hands out
        let host = host();
        let names = [
            format!("custseg-spill-{host}-{dead}-abc"),
            format!("{}xyz", prefix()),
            format!("custseg-spill-otherhost-{dead}-abc"),
            "custseg-spill-notapid".to_string(),
            "unrelated".to_string(),
        ];
        for n in &names {
            std::fs::create_dir(base.path().join(n)).unwrap();
            std::fs::write(base.path().join(n).join("part-00.bin"), b"lines").unwrap();
        }
        remove_stale(base.path());
        for (i, n) in names.iter().enumerate() {
            assert_eq!(base.path().join(n).exists(), i != 0, "{n}");
        }
    }
}
