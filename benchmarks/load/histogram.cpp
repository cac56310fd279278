// Log-linear latency histogram.
#include "histogram.hpp"

#include <algorithm>
#include <cmath>

namespace stampede::bench {

std::uint64_t LatencyHistogram::bucket_low(std::size_t index) {
    constexpr std::size_t sub = 1u << kSubBits;
    if (index < kLinearLimit) {
        return index;
    }
    const std::size_t shift = index / sub - 1;
    const std::uint64_t mantissa = index - shift * sub;  // in [64, 128)
    return mantissa << shift;
}

std::uint64_t LatencyHistogram::bucket_width(std::size_t index) {
    constexpr std::size_t sub = 1u << kSubBits;
    if (index < kLinearLimit) {
        return 1;
    }
    return std::uint64_t{1} << (index / sub - 1);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < kBuckets; ++i) {
        counts_[i] += other.counts_[i];
    }
    total_ += other.total_;
    max_ = std::max(max_, other.max_);
    min_ = std::min(min_, other.min_);
}

void LatencyHistogram::reset() {
    counts_.fill(0);
    total_ = 0;
    max_ = 0;
    min_ = UINT64_MAX;
}

std::uint64_t LatencyHistogram::percentile(double quantile) const {
    if (total_ == 0) {
        return 0;
    }
    const auto rank = static_cast<std::uint64_t>(
        std::ceil(std::clamp(quantile, 0.0, 1.0) * static_cast<double>(total_)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += counts_[i];
        if (seen >= std::max<std::uint64_t>(rank, 1)) {
            const std::uint64_t mid = bucket_low(i) + bucket_width(i) / 2;
            return std::clamp(mid, min_, max_);
        }
    }
    return max_;
}

double LatencyHistogram::mean() const {
    if (total_ == 0) {
        return 0;
    }
    double sum = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
        if (counts_[i] != 0) {
            sum += static_cast<double>(counts_[i]) *
                   static_cast<double>(bucket_low(i) + bucket_width(i) / 2);
        }
    }
    return sum / static_cast<double>(total_);
}

}  // namespace stampede::bench
