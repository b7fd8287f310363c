#include "storage/json_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ticketsim {

std::optional<std::int64_t> parse_count_document(std::string_view text, std::string* problem) {
  if (text.empty()) {
    *problem = "empty file";
    return std::nullopt;
  }
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    *problem = fmt::format("not JSON: '{}'", text.substr(0, 40));
    return std::nullopt;
  }
  auto count = doc.is_object() ? doc.find("count") : doc.end();
  if (!doc.is_object() || count == doc.end() || !count->is_number_integer()) {
    *problem = fmt::format("not a store document {{\"count\": N}}: '{}'", text.substr(0, 40));
    return std::nullopt;
  }
  return count->get<std::int64_t>();
}

std::string count_document(std::int64_t count) {
  return fmt::format("{{\"count\": {}}}", count);
}

void CountFile::create(const std::filesystem::path& path, std::int64_t count, bool replace) {
  if (replace && ::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw StoreError(fmt::format("{}: cannot replace: {}", path.string(), std::strerror(errno)));
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw StoreError(fmt::format("{}: cannot create store: {}", path.string(), std::strerror(errno)));
  }
  std::string doc = count_document(count);
  bool ok = ::write(fd, doc.data(), doc.size()) == static_cast<ssize_t>(doc.size());
  int saved = errno;
  ::close(fd);
  if (!ok) {
    throw StoreError(fmt::format("{}: cannot write store: {}", path.string(), std::strerror(saved)));
  }
}

CountFile::CountFile(const std::filesystem::path& path, JsonWrite mode) : path_(path), mode_(mode) {
  buffer_.resize(256);
  if (mode_ == JsonWrite::kRename) {
    temporary_ = temporary_path(path, getpid());
    return;
  }
  fd_ = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd_ < 0) {
    throw StoreError(fmt::format("{}: cannot open store: {}", path.string(), std::strerror(errno)));
  }
}

CountFile::~CountFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::filesystem::path CountFile::temporary_path(const std::filesystem::path& path, int pid) {
  return path.string() + ".tmp." + std::to_string(pid);
}

SearchResult CountFile::read(std::string* problem) {
  if (mode_ == JsonWrite::kTruncate) return read_from(fd_, problem);
  int fd = ::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (problem) *problem = std::strerror(errno);
    return {Outcome::kError, 0};
  }
  SearchResult result = read_from(fd, problem);
  ::close(fd);
  return result;
}

SearchResult CountFile::read_from(int fd, std::string* problem) {
  std::size_t used = 0;
  for (;;) {
    if (used == buffer_.size()) buffer_.resize(buffer_.size() * 2);
    ssize_t n = ::pread(fd, buffer_.data() + used, buffer_.size() - used, static_cast<off_t>(used));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (problem) *problem = std::strerror(errno);
      return {Outcome::kError, 0};
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  std::string ignored;
  std::optional<std::int64_t> count =
      parse_count_document({buffer_.data(), used}, problem ? problem : &ignored);
  if (!count) return {Outcome::kCorrupt, 0};
  return {Outcome::kOk, *count};
}

bool CountFile::write(std::int64_t count) {
  return mode_ == JsonWrite::kTruncate ? write_in_place(count) : write_by_rename(count);
}

bool CountFile::write_in_place(std::int64_t count) {
  if (::ftruncate(fd_, 0) != 0) return false;
  std::string doc = count_document(count);
  return ::pwrite(fd_, doc.data(), doc.size(), 0) == static_cast<ssize_t>(doc.size());
}

bool CountFile::write_by_rename(std::int64_t count) {
  int fd = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::string doc = count_document(count);
  bool written = ::write(fd, doc.data(), doc.size()) == static_cast<ssize_t>(doc.size());
  ::close(fd);
  if (written && ::rename(temporary_.c_str(), path_.c_str()) == 0) return true;
  ::unlink(temporary_.c_str());
  return false;
}

BuyResult buy_from_count_file(CountFile& file, const BuyRequest& request) {
  SearchResult read = file.read();
  if (read.outcome != Outcome::kOk) return {read.outcome, 0, 0, 0};
  request.between_read_and_write();
  if (read.count <= 0) return {Outcome::kSoldOut, read.count, 0, 0};
  if (!file.write(read.count - 1)) return {Outcome::kError, read.count, 0, 0};
  return {Outcome::kSold, read.count, read.count, 0};
}

namespace {

class UnlockedCountFile final : public Store {
 public:
  UnlockedCountFile(const std::filesystem::path& path, JsonWrite mode) : file_(path, mode) {}
  SearchResult search() override { return file_.read(); }
  BuyResult buy(const BuyRequest& request) override { return buy_from_count_file(file_, request); }

 private:
  CountFile file_;
};

}  // namespace

std::unique_ptr<Store> open_unlocked_count_file(const std::filesystem::path& path, JsonWrite mode) {
  return std::make_unique<UnlockedCountFile>(path, mode);
}

FinalState inspect_count_file(const std::filesystem::path& path) {
  FinalState state;
  try {
    CountFile file(path);
    std::string problem;
    SearchResult read = file.read(&problem);
    if (read.outcome == Outcome::kOk) {
      state.remaining = read.count;
    } else {
      state.corrupt = true;
      state.problem = fmt::format("{}: {}", path.filename().string(), problem);
    }
  } catch (const StoreError& e) {
    state.corrupt = true;
    state.problem = e.what();
  }
  return state;
}

}  // namespace ticketsim
