//! Replays every input kept in `corpus/<target>/` and `regressions/<target>/`
//! through its target's body (no libFuzzer needed): what the fuzzers found
//! once, and the coverage they built, stays tested by `cargo test`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

/// `CUSTSEG_FUZZ_INPUT=<target>:<file>` replays one input alone (with
/// `CUSTSEG_FUZZ_DEBUG=1`, the targets print the case they built).
#[test]
fn one_input_passes_its_target() {
    let Ok(spec) = std::env::var("CUSTSEG_FUZZ_INPUT") else {
        return;
    };
    let (name, file) = spec.split_once(':').expect("<target>:<file>");
    let (_, body) = custseg_fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a target name");
    // Relative to the workspace root (cargo runs the test in fuzz/).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace");
    body(&std::fs::read(root.join(file)).expect("the input file"));
}

/// Every kept input, on as many threads as there are cores: a few btyd inputs
/// take seconds each unoptimised (series near their term cap), the rest
/// milliseconds. A failing input is named, after the others have run.
#[test]
fn every_kept_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs: Vec<(&str, custseg_fuzz::Body, PathBuf)> = Vec::new();
    for (name, body) in custseg_fuzz::TARGETS {
        for folder in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(folder).join(name)) else {
                continue;
            };
            for entry in entries {
                inputs.push((name, body, entry.expect("a folder entry").path()));
            }
        }
    }
    assert!(
        !inputs.is_empty(),
        "no corpus found under {}",
        root.display()
    );
    // The btyd target's inputs first (its slow ones take seconds), so that no
    // thread is left with one of them at the end.
    inputs.sort_by(|a, b| (a.0 != "btyd", &a.2).cmp(&(b.0 != "btyd", &b.2)));
    let next = AtomicUsize::new(0);
    let failed = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some((name, body, path)) = inputs.get(next.fetch_add(1, Relaxed)) {
                    let data = std::fs::read(path).expect("a corpus file");
                    if std::panic::catch_unwind(|| body(&data)).is_err() {
                        failed
                            .lock()
                            .expect("the list")
                            .push(format!("{name}: {}", path.display()));
                    }
                }
            });
        }
    });
    let failed = failed.into_inner().expect("the list");
    assert!(
        failed.is_empty(),
        "inputs that fail (run one alone: CUSTSEG_FUZZ_INPUT): {failed:#?}"
    );
    println!("replayed {} inputs", inputs.len());
}

/// A small, fast generator (SplitMix64): the same seed, the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `input` with a few random edits: bytes changed, inserted, removed, or a
/// piece of another input spliced in (libFuzzer's main mutations).
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(4) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            1 => {
                let i = rng.below(v.len() + 1);
                v.insert(i, rng.next() as u8);
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                v.remove(i);
            }
            _ if !other.is_empty() => {
                let (from, len) = (rng.below(other.len()), rng.below(32));
                let piece = &other[from..(from + len).min(other.len())];
                let at = rng.below(v.len() + 1);
                v.splice(at..at, piece.iter().copied());
            }
            _ => {}
        }
    }
    v
}

/// Each target runs for a few seconds (`CUSTSEG_FUZZ_SECONDS`, default 3) on
/// random edits of its corpus: new inputs on every run of the test command
/// (the seed is printed; `CUSTSEG_FUZZ_SEED` repeats one). Not coverage
/// guided (that is `cargo fuzz run`, scripts/fuzz.sh); a failing input is
/// written to `artifacts/<target>/` before the panic goes on.
#[test]
fn every_target_runs_on_new_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seconds: u64 =
        std::env::var("CUSTSEG_FUZZ_SECONDS").map_or(3, |s| s.parse().expect("seconds"));
    let seed: u64 = std::env::var("CUSTSEG_FUZZ_SEED").map_or_else(
        |_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("a clock")
                .as_nanos() as u64
        },
        |s| s.parse().expect("a seed"),
    );
    println!("CUSTSEG_FUZZ_SEED={seed}");
    for (name, body) in custseg_fuzz::TARGETS {
        let corpus: Vec<Vec<u8>> = std::fs::read_dir(root.join("corpus").join(name))
            .map(|d| {
                d.map(|e| std::fs::read(e.expect("an entry").path()).expect("a file"))
                    .collect()
            })
            .unwrap_or_default();
        let corpus = if corpus.is_empty() {
            vec![vec![0u8; 64]]
        } else {
            corpus
        };
        let mut rng = Rng(seed);
        let start = std::time::Instant::now();
        let mut runs = 0u64;
        while start.elapsed().as_secs() < seconds {
            let (a, b) = (
                &corpus[rng.below(corpus.len())],
                &corpus[rng.below(corpus.len())],
            );
            let input = mutate(&mut rng, a, b);
            if let Err(panic) = std::panic::catch_unwind(|| body(&input)) {
                let dir = root.join("artifacts").join(name);
                std::fs::create_dir_all(&dir).expect("the artifacts folder");
                let path = dir.join(format!("replay-crash-{seed}-{runs}"));
                std::fs::write(&path, &input).expect("the failing input");
                eprintln!("{name}: failing input written to {}", path.display());
                std::panic::resume_unwind(panic);
            }
            runs += 1;
        }
        println!("{name}: {runs} new inputs in {seconds} s, no failure");
    }
}
