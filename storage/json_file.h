// The seed's store: one JSON document {"count": N} in a file, read whole and
// written back whole. Shared by every strategy that keeps its count in JSON:
// plain, the locked ones (named-mutex, file-lock, robust-mutex, through
// locked_json_store.h) and the queue's seller.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "storage/store.h"

namespace ticketsim {

// Parses a store document. Returns the count, or nullopt with `problem` set
// when the text is not {"count": <integer>}.
std::optional<std::int64_t> parse_count_document(std::string_view text, std::string* problem);

// The document for `count`, as the seed's json.dump writes it.
std::string count_document(std::int64_t count);

// A count file as one process uses it. In kTruncate mode it keeps one
// descriptor open; in kRename mode it opens the file for every read, since
// each write replaces it.
class CountFile {
 public:
  // Creates a new store file holding `count`, owner-only, never through a
  // symlink. Fails if the path exists, unless `replace` (then what is there,
  // but a directory, is removed first).
  static void create(const std::filesystem::path& path, std::int64_t count, bool replace = false);

  // Opens an existing store file.
  explicit CountFile(const std::filesystem::path& path, JsonWrite mode = JsonWrite::kTruncate);
  ~CountFile();
  CountFile(const CountFile&) = delete;
  CountFile& operator=(const CountFile&) = delete;

  // Reads the whole document. kOk with the count, or kCorrupt/kError with
  // the reason in `problem` when it is given.
  SearchResult read(std::string* problem = nullptr);

  // Writes `count`. kTruncate truncates the file and writes, as the seed's
  // open('w') does: a reader in between sees an empty or partial file.
  // kRename writes a temporary file beside it and renames it over the store.
  // False on I/O error.
  bool write(std::int64_t count);

  // The temporary file a kRename write by `pid` uses.
  static std::filesystem::path temporary_path(const std::filesystem::path& path, int pid);

 private:
  SearchResult read_from(int fd, std::string* problem);
  bool write_in_place(std::int64_t count);
  bool write_by_rename(std::int64_t count);

  std::filesystem::path path_;
  JsonWrite mode_;
  int fd_ = -1;  // kTruncate only
  std::filesystem::path temporary_;  // kRename only
  std::string buffer_;
};

// The seed's purchase on a count file: read, wait the purchase delay, and if
// a ticket is left write the count less one. No lock: callers add their own.
BuyResult buy_from_count_file(CountFile& file, const BuyRequest& request);

// The seed's purchase on a count file with no lock at all, for benchmarks:
// what the JSON strategies do, less their concurrency control.
std::unique_ptr<Store> open_unlocked_count_file(const std::filesystem::path& path, JsonWrite mode);

// Reads a count file after the run: its count, or why it is corrupt.
FinalState inspect_count_file(const std::filesystem::path& path);

}  // namespace ticketsim
