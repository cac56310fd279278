// Folder-level operations of the file history log: lock, epoch, segment names. Any thread.
#include "storage/log_folder.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <random>

namespace stampede::storage {
namespace {

constexpr std::size_t kEpochChars = 16;

bool is_epoch(const std::string& text) {
    return text.size() == kEpochChars && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::string random_epoch() {
    // std::random_device reads the kernel's entropy (getrandom or /dev/urandom) on Linux.
    std::random_device device;
    std::string text;
    while (text.size() < kEpochChars) {
        text += fmt::format("{:08x}", device());
    }
    text.resize(kEpochChars);
    return text;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        reset(other.release());
    }
    return *this;
}

int UniqueFd::release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
}

void UniqueFd::reset(int fd) {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = fd;
}

bool write_all(int fd, std::string_view bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;  // write() made no progress without saying why
            }
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::string errno_text(const std::string& what) {
    return fmt::format("{}: {}", what, std::strerror(errno));
}

bool make_directories(const std::string& dir, std::string& error) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        error = fmt::format("cannot create history log folder {}: {}", dir, ec.message());
        return false;
    }
    return true;
}

UniqueFd lock_folder(const std::string& dir, std::string& error) {
    const std::string path = dir + "/LOCK";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) {
        error = errno_text("cannot open " + path);
        return {};
    }
    // flock belongs to the open file description, so a second open in this same process is
    // refused too, and the kernel drops the lock when a crashed process's descriptors close.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            error = fmt::format("history log folder {} is in use by another process ({} is locked)",
                                dir, path);
        } else {
            error = errno_text("cannot lock " + path);
        }
        return {};
    }
    return fd;
}

std::optional<std::string> load_or_make_epoch(const std::string& dir, std::string& error) {
    const std::string path = dir + "/epoch";
    std::string text;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (!read_whole_file(path, text, error)) {
            return std::nullopt;
        }
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
            text.pop_back();
        }
        if (!is_epoch(text)) {
            error = fmt::format(
                "{} does not hold 16 hex digits; remove it only if the history "
                "in this folder is meant to be treated as new",
                path);
            return std::nullopt;
        }
        return text;
    }
    if (errno != ENOENT) {
        error = errno_text("cannot read " + path);
        return std::nullopt;
    }
    text = random_epoch();
    // Written under another name and renamed, so a crash never leaves a half-written epoch.
    const std::string temp = path + ".tmp";
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd || !write_all(fd.get(), text + "\n") || ::fsync(fd.get()) != 0) {
        error = errno_text("cannot write " + temp);
        return std::nullopt;
    }
    fd.reset();
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        error = errno_text("cannot rename " + temp);
        return std::nullopt;
    }
    if (!sync_directory(dir)) {
        error = errno_text("cannot sync folder " + dir);
        return std::nullopt;
    }
    return text;
}

std::vector<std::uint64_t> list_segments(const std::string& dir, std::string& error) {
    std::vector<std::uint64_t> numbers;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() < 5 || !name.ends_with(".seg")) {
            continue;
        }
        std::uint64_t number = 0;
        const char* end = name.data() + name.size() - 4;
        const auto [ptr, err] = std::from_chars(name.data(), end, number);
        if (err == std::errc{} && ptr == end) {
            numbers.push_back(number);
        }
    }
    if (ec) {
        error = fmt::format("cannot list history log folder {}: {}", dir, ec.message());
        return {};
    }
    std::sort(numbers.begin(), numbers.end());
    return numbers;
}

std::string segment_path(const std::string& dir, std::uint64_t number) {
    return fmt::format("{}/{:08}.seg", dir, number);
}

bool sync_directory(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return fd && ::fsync(fd.get()) == 0;
}

bool read_whole_file(const std::string& path, std::string& out, std::string& error) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) {
        error = errno_text("cannot open " + path);
        return false;
    }
    out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            error = errno_text("cannot read " + path);
            return false;
        }
        if (n == 0) {
            break;  // shrank while reading
        }
        done += static_cast<std::size_t>(n);
    }
    out.resize(done);
    return true;
}

}  // namespace stampede::storage
