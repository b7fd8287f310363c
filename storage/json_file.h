// The seed's store: one JSON document {"count": N} in a file, read whole and
// written back whole. Shared by the JSON strategies (plain, named-mutex).
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

// An open count file. Owns its descriptor.
class CountFile {
 public:
  // Creates a new store file holding `count`; fails if the path exists.
  static void create(const std::filesystem::path& path, std::int64_t count);

  // Opens an existing store file for reading and writing.
  explicit CountFile(const std::filesystem::path& path);
  ~CountFile();
  CountFile(const CountFile&) = delete;
  CountFile& operator=(const CountFile&) = delete;

  // Reads the whole document. kOk with the count, or kCorrupt/kError with
  // the reason in `problem` when it is given.
  SearchResult read(std::string* problem = nullptr);

  // Truncates the file and writes `count`, as the seed's open('w') does:
  // a reader in between sees an empty or partial file. False on I/O error.
  bool write(std::int64_t count);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::string buffer_;
};

// The seed's purchase on a count file: read, wait the purchase delay, and if
// a ticket is left write the count less one. No lock: callers add their own.
BuyResult buy_from_count_file(CountFile& file, const BuyRequest& request);

// Reads a count file after the run: its count, or why it is corrupt.
FinalState inspect_count_file(const std::filesystem::path& path);

}  // namespace ticketsim
