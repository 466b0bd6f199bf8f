//! Facts across files and versions: calls resolved by name to definitions (`calls`), and spec
//! items followed through history (`history`: how items changed between two versions, and the
//! lineage along the first-parent chain). Plain data and functions: no repository, no store.

pub mod calls;
pub mod history;
pub mod ids;
