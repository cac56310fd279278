// The file history log's folder: its lock, its epoch file and its numbered segment files.
// Plain POSIX file operations with errors as values; the caller decides which thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stampede::storage {

/// An open file descriptor, closed on destruction.
class UniqueFd {
   public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release();
    void reset(int fd = -1);

   private:
    int fd_ = -1;
};

/// mkdir -p. False with `error` set on failure.
bool make_directories(const std::string& dir, std::string& error);

/// Takes an exclusive flock on `dir`/LOCK (created if missing) without waiting. The lock lives
/// as long as the returned descriptor; an empty one with `error` set when another process (or
/// another open log in this process) holds it.
UniqueFd lock_folder(const std::string& dir, std::string& error);

/// The folder's epoch: read from `dir`/epoch, or made once (16 random hex digits) and written
/// there atomically (temporary file, fsync, rename, fsync of the folder).
std::optional<std::string> load_or_make_epoch(const std::string& dir, std::string& error);

/// Segment numbers present in `dir` (files named like 00000001.seg), ascending.
std::vector<std::uint64_t> list_segments(const std::string& dir, std::string& error);

/// `dir`/00000042.seg for 42.
std::string segment_path(const std::string& dir, std::uint64_t number);

/// fsync of the folder itself, so created, renamed and deleted names survive a power loss.
bool sync_directory(const std::string& dir);

/// Reads the whole file into `out`. False with `error` set on failure.
bool read_whole_file(const std::string& path, std::string& out, std::string& error);

/// write() until every byte is out (EINTR and short writes retried). False on an error, with
/// errno set; some bytes may have been written.
bool write_all(int fd, std::string_view bytes);

/// "<what>: <strerror(errno)>", for error texts.
std::string errno_text(const std::string& what);

}  // namespace stampede::storage
