// A fresh directory under /tmp for one test, removed with everything in it
// when the test is done. Shared by the test executables.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/ticketsim-test-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to the file `name` in it; returns the file's path.
  std::string file(const std::string& name, const std::string& text) const {
    std::string full = (path / name).string();
    std::ofstream(full) << text;
    return full;
  }
  bool empty() const { return std::filesystem::is_empty(path); }

  std::filesystem::path path;
};
