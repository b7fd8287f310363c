// The three ways a command can fail, each with its own exit status (see
// docs/cli.md): the input was bad, the run could not be carried out, or its
// result could not be written once it had run.
#pragma once

#include <stdexcept>
#include <string>

namespace ticketsim {

// Bad input: a one-line message that names the file, and the line, column and
// key where there is one. The command line turns it into exit status 2;
// nothing has run.
class InputError : public std::runtime_error {
 public:
  // Control characters quoted from the input (a newline inside a string
  // value) are escaped, so that the message stays on one line.
  explicit InputError(const std::string& message);
};

// The run could not be carried out (a store that cannot be made, fork
// failing, no memory for the history): exit status 3.
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The run was made, but writing what it produced failed (--json, --log,
// --export): exit status 4. The terminal report has been printed.
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ticketsim
