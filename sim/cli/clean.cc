// `ticketsim clean`: lists and removes what runs killed outright (kill -9)
// left behind: their run directories and /dev/shm entries, found by the
// owner pid in their names. Each run also sweeps them at its start.
#include <string>

#include <fmt/format.h>

#include "sim/cli/commands.h"
#include "sim/errors.h"
#include "sim/run_directory.h"
#include "storage/words.h"

namespace ticketsim {
namespace {

class CleanCommand : public Command {
 public:
  explicit CleanCommand(CLI::App& parent)
      : Command(parent.add_subcommand("clean", "Remove what killed runs left in /tmp and /dev/shm")) {
    app()->add_flag("-n,--dry-run", dry_run_, "List them only");
    app()->add_option("--store-dir", store_dir_, "Look in DIR too (where --store-dir put the runs)");
  }

  int execute(const std::vector<std::string>&) override {
    std::vector<std::filesystem::path> parents = {"/dev/shm"};
    if (!store_dir_.empty()) parents.push_back(store_dir_);
    std::vector<Leftover> leftovers = find_leftovers(parents);
    int status = kExitAsExpected;
    std::size_t removed = 0;
    for (const Leftover& leftover : leftovers) {
      std::string path = leftover.path.string() + (leftover.directory ? "/" : "");
      if (dry_run_) {
        fmt::print("{} (pid {} is gone)\n", path, leftover.owner);
        continue;
      }
      std::string error = remove_leftover(leftover);
      if (error.empty()) {
        fmt::print("removed {} (pid {} is gone)\n", path, leftover.owner);
        ++removed;
      } else {
        fmt::print(stderr, "ticketsim: {}: cannot remove: {}\n", path, error);
        status = kExitRunFailed;
      }
    }
    if (leftovers.empty()) {
      fmt::print("nothing left by killed runs\n");
    } else if (dry_run_) {
      fmt::print("{} left by killed runs; `ticketsim clean` removes {}\n",
                 plural(static_cast<std::int64_t>(leftovers.size()), "entry", "entries"),
                 leftovers.size() == 1 ? "it" : "them");
    } else {
      fmt::print("{} removed\n", plural(static_cast<std::int64_t>(removed), "entry", "entries"));
    }
    return status;
  }

 private:
  bool dry_run_ = false;
  std::string store_dir_;
};

}  // namespace

std::unique_ptr<Command> add_clean_command(CLI::App& app) { return std::make_unique<CleanCommand>(app); }

}  // namespace ticketsim
