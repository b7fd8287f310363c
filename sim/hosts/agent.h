// The agent: one host's share of a run on several hosts. It speaks the
// framed protocol (sim/hosts/wire.h) on two descriptors (its stdin and
// stdout, `ticketsim agent --stdio`), answers the coordinator's clock
// rounds, forks its buyers against the store the coordinator made, holds
// them at its barrier until the start time the coordinator gives (in this
// host's clock), and ships their history back.
#pragma once

#include "sim/hosts/clock.h"

namespace ticketsim {

// Serves one coordinator until it says goodbye or goes away; the exit
// status: 0 after a run shipped (or nothing asked), 2 when the coordinator
// speaks another protocol version, 3 when the run failed here.
// `version` is the protocol's; another only in tests (--test-protocol-version).
int run_agent(int in_fd, int out_fd, const AgentClock& clock, int version);

}  // namespace ticketsim
