//! Small shared helpers.

use std::hash::{BuildHasher, Hasher};

/// Hasher for keys that are already well-mixed 64-bit hashes: hashing them again would only cost time.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IdHash;

#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only used with u64 keys; fold anything else in so that it still works.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}
