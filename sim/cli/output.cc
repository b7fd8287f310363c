#include "sim/cli/output.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "sim/errors.h"
#include "sim/report/exports.h"
#include "sim/run_directory.h"

namespace ticketsim {

void check_output_path(const std::string& path) {
  std::filesystem::path target(path);
  std::filesystem::path parent = target.has_parent_path() ? target.parent_path() : ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(parent, ec)) {
    throw InputError(fmt::format("{}: cannot write the result: {} is not a directory", path, parent.string()));
  }
  if (std::filesystem::is_directory(target, ec)) {
    throw InputError(fmt::format("{}: cannot write the result: it is a directory", path));
  }
  if (access(parent.c_str(), W_OK) != 0) {
    throw InputError(fmt::format("{}: cannot write the result: {} is not writable", path, parent.string()));
  }
}

void write_file_atomically(const std::string& path, const std::string& text) {
  std::string temporary = path + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    int error = out ? 0 : errno;
    out << text;
    out.close();
    if (!out) {
      if (!error) error = errno;
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw OutputError(fmt::format("{}: cannot write the result: {}", path, std::strerror(error)));
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw OutputError(fmt::format("{}: cannot write the result: {}", path, ec.message()));
  }
}

void check_exports(const std::vector<std::string>& paths, bool (*known)(std::string_view extension),
                   std::string_view formats) {
  for (const std::string& path : paths) {
    std::string extension = std::filesystem::path(path).extension().string();
    if (!known(extension)) {
      throw InputError(fmt::format("{}: unknown export format '{}'; use {}", path, extension, formats));
    }
    check_output_path(path);
  }
}

void check_exports(const std::vector<std::string>& paths) { check_exports(paths, is_export_format, kExportFormats); }

void write_exports(const Comparison& comparison, const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    write_file_atomically(path, export_text(comparison, std::filesystem::path(path).extension().string()));
  }
}

void watch_progress(RunOptions& options, std::optional<double> seconds, ProgressPrinter& printer,
                    const std::string* prefix) {
  if (!seconds) return;
  options.progress_interval = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*seconds));
  options.on_progress = [&printer, prefix](const Progress& progress) {
    printer.print(prefix && !prefix->empty() ? *prefix + " " + progress_line(progress) : progress_line(progress));
  };
}

std::filesystem::path store_dir_of(const std::string& store_dir, const std::string& store_file) {
  if (!store_file.empty()) {
    std::filesystem::path file(store_file);
    return file.has_parent_path() ? file.parent_path() : ".";
  }
  return store_dir.empty() ? RunDirectory::default_parent() : std::filesystem::path(store_dir);
}

}  // namespace ticketsim
