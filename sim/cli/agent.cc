// `ticketsim agent --stdio`: one host's share of a run on several hosts,
// driven by the coordinator (`ticketsim run` with hosts) over stdin and
// stdout, which a launch command such as ssh carries (sim/hosts/agent.h).
#include <unistd.h>

#include <string>

#include "sim/cli/commands.h"
#include "sim/errors.h"
#include "sim/hosts/agent.h"
#include "sim/hosts/wire.h"

namespace ticketsim {
namespace {

class AgentCommand : public Command {
 public:
  explicit AgentCommand(CLI::App& parent)
      : Command(parent.add_subcommand("agent", "Run buyers for a coordinator on another host (its launch command starts this)")) {
    app()->add_flag("--stdio", stdio_, "Speak the agent protocol on stdin and stdout")->required();
    // For tests only: this agent's clock runs off the host's by an offset
    // and a drift, as another host's would.
    app()->add_option("--test-clock-offset", offset_ms_, "")->group("");
    app()->add_option("--test-clock-drift", drift_ppm_, "")->group("");
    app()->add_option("--test-protocol-version", version_, "")->group("");
  }

  int execute(const std::vector<std::string>&) override {
    if (::isatty(0) || ::isatty(1)) {
      throw InputError("agent --stdio: speaks a binary protocol to a coordinator ('ticketsim run' with --hosts "
                       "starts it through its launch command), not to a terminal");
    }
    // The protocol has stdout to itself: anything else written there goes
    // to stderr.
    int out = ::dup(1);
    if (out < 0 || ::dup2(2, 1) < 0) throw RunError("agent: cannot set up its descriptors");
    AgentClock clock(static_cast<std::int64_t>(offset_ms_ * 1e6), drift_ppm_);
    int status = run_agent(0, out, clock, version_);
    ::close(out);
    return status;
  }

 private:
  bool stdio_ = false;
  double offset_ms_ = 0;
  double drift_ppm_ = 0;
  int version_ = kAgentProtocolVersion;
};

}  // namespace

std::unique_ptr<Command> add_agent_command(CLI::App& app) { return std::make_unique<AgentCommand>(app); }

}  // namespace ticketsim
