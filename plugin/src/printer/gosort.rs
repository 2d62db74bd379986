//! The order Go's `sort.Sort` leaves a list in. kubectl's `--sort-by` sorts with it, and
//! it is not stable: among equal keys, what ends up first depends on the algorithm's every
//! step (insertion sort up to 12 items; beyond, pattern-defeating quicksort with Go's pivot
//! choices, pattern breaking and heapsort fallback). Matching kubectl's output means taking
//! the same steps.

/// Sorts `items` with `less` on the items themselves, as Go's `sort.Sort` would.
pub fn sort<T: Copy>(items: &mut [T], less: impl Fn(T, T) -> bool) {
    if items.len() <= 1 {
        return;
    }
    let limit = bit_length(items.len());
    let mut sorter = Sorter { items, less };
    let len = sorter.items.len();
    sorter.pdqsort(0, len, limit);
}

/// The number of bits needed to write `n`.
fn bit_length(n: usize) -> usize {
    (usize::BITS - n.leading_zeros()) as usize
}

struct Sorter<'a, T, F> {
    items: &'a mut [T],
    less: F,
}

/// What the pivot's neighbourhood suggests of the range.
#[derive(PartialEq)]
enum Hint {
    Unknown,
    Increasing,
    Decreasing,
}

impl<T: Copy, F: Fn(T, T) -> bool> Sorter<'_, T, F> {
    fn less(&self, i: usize, j: usize) -> bool {
        (self.less)(self.items[i], self.items[j])
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.items.swap(i, j);
    }

    fn insertion_sort(&mut self, a: usize, b: usize) {
        for i in a + 1..b {
            let mut j = i;
            while j > a && self.less(j, j - 1) {
                self.swap(j, j - 1);
                j -= 1;
            }
        }
    }

    fn sift_down(&mut self, mut root: usize, hi: usize, first: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= hi {
                return;
            }
            if child + 1 < hi && self.less(first + child, first + child + 1) {
                child += 1;
            }
            if !self.less(first + root, first + child) {
                return;
            }
            self.swap(first + root, first + child);
            root = child;
        }
    }

    fn heap_sort(&mut self, a: usize, b: usize) {
        let len = b - a;
        for i in (0..len.div_ceil(2)).rev() {
            self.sift_down(i, len, a);
        }
        for i in (0..len).rev() {
            self.swap(a, a + i);
            self.sift_down(0, i, a);
        }
    }

    fn pdqsort(&mut self, mut a: usize, mut b: usize, mut limit: usize) {
        const MAX_INSERTION: usize = 12;
        let (mut was_balanced, mut was_partitioned) = (true, true);
        loop {
            let len = b - a;
            if len <= MAX_INSERTION {
                self.insertion_sort(a, b);
                return;
            }
            if limit == 0 {
                self.heap_sort(a, b);
                return;
            }
            if !was_balanced {
                self.break_patterns(a, b);
                limit -= 1;
            }
            let (mut pivot, mut hint) = self.choose_pivot(a, b);
            if hint == Hint::Decreasing {
                self.reverse(a, b);
                pivot = (b - 1) - (pivot - a);
                hint = Hint::Increasing;
            }
            if was_balanced
                && was_partitioned
                && hint == Hint::Increasing
                && self.partial_insertion_sort(a, b)
            {
                return;
            }
            // Nothing in the range is less than the element before it: the pivot's equals
            // go first, and only what is greater remains to sort.
            if a > 0 && !self.less(a - 1, pivot) {
                a = self.partition_equal(a, b, pivot);
                continue;
            }
            let (mid, already_partitioned) = self.partition(a, b, pivot);
            was_partitioned = already_partitioned;
            let (left, right) = (mid - a, b - mid);
            let balance_threshold = len / 8;
            if left < right {
                was_balanced = left >= balance_threshold;
                self.pdqsort(a, mid, limit);
                a = mid + 1;
            } else {
                was_balanced = right >= balance_threshold;
                self.pdqsort(mid + 1, b, limit);
                b = mid;
            }
        }
    }

    /// Moves the pivot to `a`, the smaller elements before it and the rest after; returns
    /// where the pivot ends, and whether nothing had to move.
    fn partition(&mut self, a: usize, b: usize, pivot: usize) -> (usize, bool) {
        self.swap(a, pivot);
        // `i` and `j` bound, inclusively, what is left to partition (`j` may pass below `i`).
        let (mut i, mut j) = (a as isize + 1, b as isize - 1);
        let mut untouched = true;
        loop {
            while i <= j && self.less(i as usize, a) {
                i += 1;
            }
            while i <= j && !self.less(j as usize, a) {
                j -= 1;
            }
            if i > j {
                break;
            }
            self.swap(i as usize, j as usize);
            untouched = false;
            i += 1;
            j -= 1;
        }
        self.swap(j as usize, a);
        (j as usize, untouched)
    }

    /// Puts the elements equal to the pivot first (none is smaller); returns where the
    /// greater ones start.
    fn partition_equal(&mut self, a: usize, b: usize, pivot: usize) -> usize {
        self.swap(a, pivot);
        let (mut i, mut j) = (a as isize + 1, b as isize - 1);
        loop {
            while i <= j && !self.less(a, i as usize) {
                i += 1;
            }
            while i <= j && self.less(a, j as usize) {
                j -= 1;
            }
            if i > j {
                break;
            }
            self.swap(i as usize, j as usize);
            i += 1;
            j -= 1;
        }
        i as usize
    }

    /// Sorts a range that is nearly sorted by moving a few elements; whether it is sorted.
    fn partial_insertion_sort(&mut self, a: usize, b: usize) -> bool {
        const MAX_STEPS: usize = 5;
        const SHORTEST_SHIFTING: usize = 50;
        let mut i = a + 1;
        for _ in 0..MAX_STEPS {
            while i < b && !self.less(i, i - 1) {
                i += 1;
            }
            if i == b {
                return true;
            }
            if b - a < SHORTEST_SHIFTING {
                return false;
            }
            self.swap(i, i - 1);
            if i - a >= 2 {
                let mut j = i - 1;
                while j >= 1 && self.less(j, j - 1) {
                    self.swap(j, j - 1);
                    j -= 1;
                }
            }
            if b - i >= 2 {
                let mut j = i + 1;
                while j < b && self.less(j, j - 1) {
                    self.swap(j, j - 1);
                    j += 1;
                }
            }
        }
        false
    }

    /// Swaps three elements around the middle with pseudo-random others, seeded by the
    /// range's length.
    fn break_patterns(&mut self, a: usize, b: usize) {
        let len = b - a;
        if len < 8 {
            return;
        }
        let mut random = len as u64;
        let modulus = 1usize << bit_length(len);
        let middle = a + (len / 4) * 2;
        for idx in middle - 1..=middle + 1 {
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            let mut other = (random as usize) & (modulus - 1);
            if other >= len {
                other -= len;
            }
            self.swap(idx, a + other);
        }
    }

    /// The median of three places (of three medians of three from 50 elements on), and what
    /// the comparisons on the way suggest of the order.
    fn choose_pivot(&mut self, a: usize, b: usize) -> (usize, Hint) {
        const SHORTEST_NINTHER: usize = 50;
        const MAX_SWAPS: usize = 4 * 3;
        let len = b - a;
        let mut swaps = 0;
        let (mut i, mut j, mut k) = (a + len / 4, a + len / 4 * 2, a + len / 4 * 3);
        if len >= 8 {
            if len >= SHORTEST_NINTHER {
                i = self.median(i - 1, i, i + 1, &mut swaps);
                j = self.median(j - 1, j, j + 1, &mut swaps);
                k = self.median(k - 1, k, k + 1, &mut swaps);
            }
            j = self.median(i, j, k, &mut swaps);
        }
        let hint = match swaps {
            0 => Hint::Increasing,
            MAX_SWAPS => Hint::Decreasing,
            _ => Hint::Unknown,
        };
        (j, hint)
    }

    fn order(&self, a: usize, b: usize, swaps: &mut usize) -> (usize, usize) {
        if self.less(b, a) {
            *swaps += 1;
            (b, a)
        } else {
            (a, b)
        }
    }

    fn median(&self, a: usize, b: usize, c: usize, swaps: &mut usize) -> usize {
        let (a, b) = self.order(a, b, swaps);
        let (b, _) = self.order(b, c, swaps);
        let (_, b) = self.order(a, b, swaps);
        b
    }

    fn reverse(&mut self, a: usize, b: usize) {
        self.items[a..b].reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys with many ties: pseudo-random below `range`, or falling in threes.
    fn keys(n: usize, seed: u64, range: Option<u64>) -> Vec<u64> {
        let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
        (0..n)
            .map(|i| match range {
                Some(range) => {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x % range
                }
                None => ((n - i) / 3) as u64,
            })
            .collect()
    }

    fn sorted(keys: &[u64]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..keys.len()).collect();
        sort(&mut order, |a, b| keys[a] < keys[b]);
        order
    }

    /// Each expected order is what Go's `sort.Sort` gives for the same keys.
    #[test]
    fn equal_keys_land_where_go_puts_them() {
        assert_eq!(
            sorted(&keys(20, 1, Some(6))),
            [
                5, 14, 7, 15, 11, 2, 19, 17, 16, 1, 12, 9, 6, 10, 4, 13, 8, 0, 18, 3
            ]
        );
        assert_eq!(
            sorted(&keys(60, 3, Some(2))),
            [
                31, 44, 2, 56, 55, 54, 6, 53, 8, 9, 51, 11, 12, 13, 14, 15, 50, 48, 47, 28, 42, 40,
                29, 23, 24, 25, 36, 35, 0, 4, 45, 16, 32, 33, 34, 27, 26, 37, 38, 22, 21, 41, 20,
                39, 1, 43, 52, 19, 17, 49, 18, 10, 46, 7, 5, 30, 3, 57, 58, 59
            ]
        );
        assert_eq!(
            sorted(&keys(100, 2, None)),
            [
                99, 98, 97, 96, 95, 92, 94, 93, 90, 91, 89, 88, 87, 86, 85, 84, 83, 80, 82, 81, 78,
                79, 77, 76, 75, 74, 73, 72, 71, 68, 70, 69, 67, 66, 65, 62, 64, 63, 61, 60, 59, 58,
                57, 56, 53, 55, 54, 51, 50, 52, 49, 48, 47, 44, 46, 45, 42, 43, 41, 38, 40, 39, 37,
                36, 35, 34, 33, 32, 29, 31, 30, 26, 27, 28, 25, 24, 23, 22, 21, 20, 17, 19, 18, 14,
                15, 16, 11, 13, 12, 8, 10, 9, 7, 6, 5, 4, 3, 2, 0, 1
            ]
        );
    }
}
