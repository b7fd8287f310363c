// The coordinator of a run on several hosts: starts one agent per host
// through the launch command (ssh by default), checks each agent's
// protocol version, makes the store (the embedded server, or the one the
// user named), estimates each host's clock before and after the run, sends
// every agent its share of the buyers and one start time (in its clock),
// and merges the histories the agents ship back into one RunRecord in its
// own clock, each host's times with that host's uncertainty: the checker,
// the metrics and the reports then read it as any run's.
#pragma once

#include <filesystem>
#include <string>

#include "sim/runner.h"
#include "sim/scenario.h"

namespace ticketsim {

struct HostsOptions {
  // What {ticketsim} stands for in the launch command: this program.
  std::string ticketsim;
  // Where the run's directory (and an embedded server's) is made.
  std::filesystem::path store_parent;
  // Told what happens, one line at a time ("host b: 100 buyers ready").
  std::function<void(const std::string&)> progress;
};

// Checks what a run on several hosts needs before anything starts: a
// strategy whose store a server keeps, no faults, concurrent mode, a buyer
// share per host. Throws InputError.
void check_hosts_runnable(const Scenario& scenario);

// Runs `scenario` on its hosts (scenario.hosts, non-empty); `scenario_text`
// is its file's text, sent to every agent. Throws InputError when an agent
// cannot start or speaks another version (nothing forked anywhere), and
// RunError when the run cannot be carried out; every agent is stopped and
// reaped, and the store removed, in any case.
RunRecord run_on_hosts(const Scenario& scenario, const std::string& scenario_text, const HostsOptions& options);

}  // namespace ticketsim
