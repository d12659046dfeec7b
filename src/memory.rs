//! Fallible allocation of the buffers whose size comes from input (fields, traces, scratch):
//! a request larger than the memory left (or than `ulimit -v`) is an
//! [`IdfError::OutOfMemory`] naming the buffer, never an abort of the process.

use crate::error::{IdfError, Result};

/// `len` copies of `value`, or an out-of-memory error naming `what`.
pub fn filled<T: Clone>(len: usize, value: T, what: &str) -> Result<Vec<T>> {
    let mut v = reserved(len, what)?;
    v.resize(len, value);
    Ok(v)
}

/// The first `len` items of `items` collected, with the room reserved before any is made.
pub fn collected<T>(len: usize, items: impl Iterator<Item = T>, what: &str) -> Result<Vec<T>> {
    let mut v = reserved(len, what)?;
    v.extend(items.take(len));
    Ok(v)
}

/// An empty vector with room for exactly `len` items, to be filled by the caller.
pub fn reserved<T>(len: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| IdfError::OutOfMemory {
            what: what.to_string(),
            bytes: (len as u64).saturating_mul(std::mem::size_of::<T>() as u64),
        })?;
    Ok(v)
}
