// Test helpers for the config loader tests: temporary files and environment variables that
// are put back when the test ends, whether it passes or not.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

namespace stampede::config::testing {

/// A file made with mkstemp, holding `contents`; unlinked on destruction.
class TempFile {
   public:
    explicit TempFile(const std::string& contents) {
        char name[] = "/tmp/stampede_config_test_XXXXXX";
        int fd = mkstemp(name);
        if (fd < 0) {
            throw std::runtime_error("mkstemp failed");
        }
        path_ = name;
        std::size_t done = 0;
        while (done < contents.size()) {
            ssize_t n = write(fd, contents.data() + done, contents.size() - done);
            if (n <= 0) {
                close(fd);
                throw std::runtime_error("write failed");
            }
            done += static_cast<std::size_t>(n);
        }
        close(fd);
    }
    ~TempFile() { unlink(path_.c_str()); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    const std::string& path() const { return path_; }

   private:
    std::string path_;
};

/// Sets (or, with nullopt, unsets) an environment variable and restores it afterwards.
class ScopedEnv {
   public:
    ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
        if (const char* old = std::getenv(name_.c_str())) {
            old_ = old;
        }
        if (value) {
            setenv(name_.c_str(), value->c_str(), 1);
        } else {
            unsetenv(name_.c_str());
        }
    }
    ~ScopedEnv() {
        if (old_) {
            setenv(name_.c_str(), old_->c_str(), 1);
        } else {
            unsetenv(name_.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

   private:
    std::string name_;
    std::optional<std::string> old_;
};

}  // namespace stampede::config::testing
