//! Buffers that finished simulations give back, kept for the next simulation that asks for the
//! same size and usage: a server answering many small requests then creates no buffers after
//! the first ones (each creation is a driver allocation, and every simulation makes about ten,
//! plus a staging buffer per read-back). Off (capacity 0) unless a caller sets a capacity with
//! [`crate::Context::keep_gpu_buffers`].
//!
//! A storage buffer is cleared to zero on its way back, in one submission, so a simulation on
//! reused buffers starts from what a fresh one sees (wgpu zero-fills new buffers) and computes
//! the same numbers. The clear is queued before any later write, so it cannot overwrite one.

use std::collections::VecDeque;
use std::sync::Mutex;

/// How much a pool holds and has handed out again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BufferPoolStats {
    /// The most bytes it keeps (0: off).
    pub capacity_bytes: u64,
    /// Bytes held now.
    pub held_bytes: u64,
    /// Buffers held now.
    pub buffers: usize,
    /// Buffers handed out again so far.
    pub reused: u64,
}

/// Released buffers, oldest first, up to a capacity in bytes.
#[derive(Default)]
pub(crate) struct BufferPool {
    inner: Mutex<Pool>,
}

#[derive(Default)]
struct Pool {
    free: VecDeque<wgpu::Buffer>,
    stats: BufferPoolStats,
}

impl Pool {
    /// Drops the oldest buffers until `extra` more bytes fit.
    fn make_room(&mut self, extra: u64) {
        while self.stats.held_bytes + extra > self.stats.capacity_bytes {
            let Some(old) = self.free.pop_front() else {
                break;
            };
            self.stats.held_bytes -= old.size();
            self.stats.buffers -= 1;
        }
    }
}

impl BufferPool {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps up to `bytes` of released buffers (0 turns the pool off and frees what it holds).
    pub fn set_capacity(&self, bytes: u64) {
        let mut pool = self.lock();
        pool.stats.capacity_bytes = bytes;
        pool.make_room(0);
    }

    /// What the pool holds and has reused.
    pub fn stats(&self) -> BufferPoolStats {
        self.lock().stats
    }

    /// A held buffer of exactly `size` bytes and `usage`, if there is one.
    pub fn take(&self, size: u64, usage: wgpu::BufferUsages) -> Option<wgpu::Buffer> {
        let mut pool = self.lock();
        let at = pool
            .free
            .iter()
            .position(|b| b.size() == size && b.usage() == usage)?;
        let buffer = pool.free.remove(at)?;
        pool.stats.held_bytes -= size;
        pool.stats.buffers -= 1;
        pool.stats.reused += 1;
        Some(buffer)
    }

    /// Takes `buffers` back (a storage buffer cleared to zero first); those over the capacity
    /// are dropped, the oldest held ones first.
    pub fn give(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        buffers: impl IntoIterator<Item = wgpu::Buffer>,
    ) {
        let capacity = self.lock().stats.capacity_bytes;
        let kept: Vec<wgpu::Buffer> = buffers
            .into_iter()
            .filter(|b| b.size() <= capacity)
            .collect();
        if kept.is_empty() {
            return;
        }
        let storage: Vec<&wgpu::Buffer> = kept
            .iter()
            .filter(|b| b.usage().contains(wgpu::BufferUsages::STORAGE))
            .collect();
        if !storage.is_empty() {
            let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("idf buffer pool clear"),
            });
            for b in storage {
                encoder.clear_buffer(b, 0, None);
            }
            queue.submit([encoder.finish()]);
        }
        let mut pool = self.lock();
        for b in kept {
            pool.make_room(b.size());
            if pool.stats.held_bytes + b.size() <= pool.stats.capacity_bytes {
                pool.stats.held_bytes += b.size();
                pool.stats.buffers += 1;
                pool.free.push_back(b);
            }
        }
    }
}
