//! CPU time and memory of a process tree, from /proc (Linux).

use std::collections::HashMap;

/// Fields of /proc/PID/stat after the command name, from `state` on.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let raw = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &raw[raw.rfind(')')? + 2..];
    Some(after.split_whitespace().map(String::from).collect())
}

/// `root` and every live descendant, by parent links.
pub fn tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if let Some(ppid) = stat_fields(pid).and_then(|f| f.get(1)?.parse::<u32>().ok()) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let (mut out, mut todo) = (vec![], vec![root]);
    while let Some(p) = todo.pop() {
        out.push(p);
        todo.extend(children.get(&p).into_iter().flatten());
    }
    out
}

/// utime + stime of all its threads and cutime + cstime of its reaped children, in ticks.
/// Summed over a tree this counts nothing twice: a child's time moves to its parent only
/// once the child is gone.
fn cpu_ticks(pid: u32) -> u64 {
    let Some(f) = stat_fields(pid) else { return 0 };
    [11, 12, 13, 14].iter().filter_map(|&i| f.get(i)?.parse::<u64>().ok()).sum()
}

/// (VmHWM, VmRSS) in kB.
fn memory_kb(pid: u32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Samples of one process tree: CPU seconds so far, and the peaks seen.
pub struct Sampler {
    root: u32,
    ticks_per_s: f64,
    /// Largest sum of VmRSS over the tree at one sample.
    pub peak_rss_sum_kb: u64,
    /// Largest VmHWM seen per process.
    pub hwm_kb: HashMap<u32, u64>,
}

impl Sampler {
    pub fn new(root: u32) -> Sampler {
        // SAFETY: sysconf reads a constant of the system.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        Sampler {
            root,
            ticks_per_s: if ticks > 0 { ticks as f64 } else { 100.0 },
            peak_rss_sum_kb: 0,
            hwm_kb: HashMap::new(),
        }
    }

    /// CPU seconds of the tree now; updates the memory peaks.
    pub fn sample(&mut self) -> f64 {
        let mut ticks = 0;
        let mut rss_sum = 0;
        for pid in tree(self.root) {
            ticks += cpu_ticks(pid);
            let (hwm, rss) = memory_kb(pid);
            rss_sum += rss;
            let seen = self.hwm_kb.entry(pid).or_default();
            *seen = (*seen).max(hwm);
        }
        self.peak_rss_sum_kb = self.peak_rss_sum_kb.max(rss_sum);
        ticks as f64 / self.ticks_per_s
    }

    /// The peak RSS: the largest tree sum or single high-water mark seen.
    pub fn peak_rss_kb(&self) -> u64 {
        self.hwm_kb.values().copied().chain([self.peak_rss_sum_kb]).max().unwrap_or(0)
    }
}
