// Latency histogram in the HDR style: log-linear buckets (64 per power of two above 128 ns, so
// about 1.6% precision), fixed memory, O(1) record, mergeable across threads.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace stampede::bench {

class LatencyHistogram {
   public:
    static constexpr int kSubBits = 6;                             // 64 sub-buckets per octave
    static constexpr std::uint64_t kLinearLimit = 2u << kSubBits;  // exact below 128 ns
    static constexpr int kMaxShift = 40;                           // up to ~2^47 ns (39 hours)
    static constexpr std::size_t kBuckets = (kMaxShift + 2) * (1u << kSubBits);

    void record(std::uint64_t value_ns) {
        ++counts_[index_of(value_ns)];
        ++total_;
        if (value_ns > max_) {
            max_ = value_ns;
        }
        if (value_ns < min_) {
            min_ = value_ns;
        }
    }
    void merge(const LatencyHistogram& other);
    void reset();

    std::uint64_t count() const { return total_; }
    std::uint64_t max() const { return total_ ? max_ : 0; }
    std::uint64_t min() const { return total_ ? min_ : 0; }
    /// The value at `quantile` (0..1): the midpoint of its bucket, clamped to [min, max].
    std::uint64_t percentile(double quantile) const;
    double mean() const;

    static std::size_t index_of(std::uint64_t value) {
        if (value < kLinearLimit) {
            return static_cast<std::size_t>(value);
        }
        int shift = std::bit_width(value) - (kSubBits + 1);
        if (shift > kMaxShift) {
            shift = kMaxShift;
            value = ((kLinearLimit) << kMaxShift) - 1;
        }
        return static_cast<std::size_t>(shift) * (1u << kSubBits) +
               static_cast<std::size_t>(value >> shift);
    }
    /// Lowest value that falls in bucket `index`, and the bucket's width.
    static std::uint64_t bucket_low(std::size_t index);
    static std::uint64_t bucket_width(std::size_t index);

   private:
    std::array<std::uint64_t, kBuckets> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t min_ = UINT64_MAX;
};

}  // namespace stampede::bench
