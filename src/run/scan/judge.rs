//! Judging the sources a scan found: each level's cache file opened
//! through its directory's handle and its header read (a source read only
//! for a hash), directory by directory, spread over the cores. What is not
//! fresh becomes a [`ToCompile`].

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::bytecode::pyc::{self, Judgement, Magic, PYCACHE, SourceStamp, Verdict};
use crate::error::Failure;
use crate::fs::dir::{self, Cursor, FileId, Handle};
use crate::run::scan::{Judged, Level, Plan, ScanOptions, ToCompile};

/// A source found by the walk, before its cache files are judged.
pub(super) struct Candidate {
    pub source: PathBuf,
    /// For a symlink (inside the tree), the file it led to when judged.
    pub target: Option<PathBuf>,
    /// The file judged: the source, or the target of a symlink.
    pub id: FileId,
    pub dfile: PathBuf,
    pub stamp: SourceStamp,
    pub size: u64,
    /// False when `__pycache__` is a symlink or a file.
    pub writable: bool,
    /// Each level's cache file and whether the listing showed it.
    pub levels: Vec<(u8, PathBuf, bool)>,
}

/// Below this many sources one thread judges them all.
const PARALLEL_FROM: usize = 512;

/// Judges every candidate's cache files (one open and short read each),
/// spread over the cores; fills the plan's sources to compile, fresh count and problems.
/// Each directory is reopened from `root` component by component without
/// following links, and its files relative to that handle. Paths move from
/// candidates into sources to compile, never copied: a cold tree of ten thousand sources
/// would otherwise hold every path twice.
pub(super) fn judge_all(
    candidates: Vec<Candidate>,
    scan: &ScanOptions<'_>,
    plan: &mut Plan,
    root: &Handle,
) {
    let root_path = &scan.location.dir;
    plan.sources += candidates.len();
    // Candidates come directory by directory: one group each.
    let mut groups: Vec<&[Candidate]> = Vec::new();
    let mut rest = &candidates[..];
    while let Some(first) = rest.first() {
        let dir = first.source.parent();
        let len = rest.iter().take_while(|c| c.source.parent() == dir).count();
        groups.push(&rest[..len]);
        rest = &rest[len..];
    }
    let serial_below = if candidates.len() < PARALLEL_FROM {
        usize::MAX
    } else {
        2
    };
    let judged: Vec<Vec<Vec<(usize, Judgement)>>> = crate::run::parallel::map_init(
        &groups,
        serial_below,
        || Cursor::new(root, root_path),
        |cursor, group| judge_dir(cursor, group, scan.magic, scan.verify, scan.details),
    );
    let judged = judged.into_iter().flatten();
    let mut blocked: HashSet<PathBuf> = HashSet::new();
    for (candidate, judgements) in candidates.into_iter().zip(judged) {
        if scan.details {
            plan.judged.push(Judged {
                source: candidate.source.clone(),
                stamp: candidate.stamp,
                levels: (candidate.levels.iter())
                    .zip(&judgements)
                    .map(|((level, cfile, _), (_, j))| (*level, cfile.clone(), j.clone()))
                    .collect(),
            });
        }
        let verdicts: Vec<(usize, Verdict)> = judgements
            .into_iter()
            .filter(|(_, j)| j.verdict != Verdict::Fresh)
            .map(|(i, j)| (i, j.verdict))
            .collect();
        if verdicts.is_empty() {
            plan.fresh += 1;
        } else if !candidate.writable {
            let dir = candidate.source.parent().unwrap_or(Path::new("/"));
            if blocked.insert(dir.to_path_buf()) {
                plan.problems.push(Failure::new(
                    &dir.join(PYCACHE),
                    "not a directory (a symlink or a file); not compiling through it".into(),
                ));
            }
        } else {
            let mut verdicts = verdicts.into_iter().peekable();
            let levels = candidate
                .levels
                .into_iter()
                .enumerate()
                .filter_map(|(i, (level, cfile, _))| {
                    let verdict = verdicts.next_if(|(at, _)| *at == i)?.1;
                    Some(Level {
                        level,
                        cfile,
                        verdict,
                    })
                })
                .collect();
            plan.to_compile.push(ToCompile {
                source: candidate.source,
                target: candidate.target,
                id: candidate.id,
                dfile: candidate.dfile,
                size: candidate.size,
                levels,
            });
        }
    }
}

/// Judges the candidates of one directory, through its handle and its
/// cache's: for each, the levels that are missing or stale (by index into
/// its levels), with why; empty when every level is fresh. With `all`,
/// every level, fresh ones too.
fn judge_dir(
    cursor: &mut Cursor<'_>,
    group: &[Candidate],
    magic: Option<Magic>,
    verify: bool,
    all: bool,
) -> Vec<Vec<(usize, Judgement)>> {
    let any_present = group.iter().any(|c| c.levels.iter().any(|l| l.2));
    let dir_path = group[0].source.parent().unwrap_or(Path::new("/"));
    let opened = match magic {
        Some(magic) if any_present => Some((
            magic,
            cursor
                .open(dir_path)
                .and_then(|dir| Ok((dir, dir.open_dir(OsStr::new(PYCACHE))?))),
        )),
        _ => None,
    };
    group
        .iter()
        .map(|c| {
            c.levels
                .iter()
                .enumerate()
                .filter_map(|(i, (_, cfile, present))| {
                    let judgement = match &opened {
                        _ if !present => Judgement::of(Verdict::Missing),
                        None => Judgement::of(Verdict::Stale(pyc::Stale::Magic)),
                        Some((_, Err(e))) if dir::is_gone(e) => Judgement::of(Verdict::Missing),
                        Some((_, Err(e))) => Judgement::of(Verdict::Stale(pyc::Stale::Unreadable(
                            format!("{}: {e}", cfile.parent().unwrap_or(cfile).display()),
                        ))),
                        Some((magic, Ok((dir, cache)))) => {
                            let name = cfile.file_name().unwrap_or_default();
                            let pyc = cache.open_file(name, false).map(|(f, _)| f);
                            pyc::examine(pyc, c.stamp, *magic, verify, || read_source(dir, c))
                        }
                    };
                    (all || judgement.verdict != Verdict::Fresh).then_some((i, judgement))
                })
                .collect()
        })
        .collect()
}

/// The bytes of a candidate's source, read through its directory's handle
/// (a symlink's checked target from `/`), never following a link, and
/// only from the very file judged.
fn read_source(dir: &Handle, c: &Candidate) -> io::Result<Vec<u8>> {
    let (mut file, stat) = match &c.target {
        None => dir.open_file(c.source.file_name().unwrap_or_default(), false)?,
        Some(target) => dir::open_file_nofollow(target)?,
    };
    if FileId::of(&stat) != c.id {
        return Err(io::Error::other(
            "another file since it was judged (device and inode differ)",
        ));
    }
    let mut bytes = Vec::with_capacity(stat.st_size as usize);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}
