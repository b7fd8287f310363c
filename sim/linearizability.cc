#include "sim/linearizability.h"

#include <algorithm>
#include <limits>
#include <unordered_set>

#include <fmt/format.h>

#include "storage/words.h"

namespace ticketsim {
namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

// What an operation does to the sequential store, as the search sees it.
enum class Step : std::uint8_t {
  kRead,     // a search that read `value`: the count must be `value`
  kSell,     // a purchase that sold ticket #`value`: the count must be `value` > 0; it falls by one
  kSoldOut,  // a purchase answered sold-out: the count must be 0
  kMaybe,    // a purchase that may or may not have sold: if it did, the count fell by one
};

struct SearchOp {
  std::int64_t call;
  std::int64_t ret;  // for kMaybe: the latest it could have taken effect (kNever: any time)
  std::int64_t value;
  Step step;
  OperationRef ref;
};

enum class Answer { kYes, kNo, kBudget };

// Wing & Gong's search with Lowe's memo, over one set of operations.
class Search {
 public:
  Search(std::vector<SearchOp> ops, std::int64_t initial, std::optional<std::int64_t> final_count,
         std::chrono::steady_clock::time_point deadline, std::size_t memory_bytes)
      : ops_(std::move(ops)), initial_(initial), final_(final_count), deadline_(deadline),
        memory_bytes_(memory_bytes), lifted_(ops_.size() / 64 + 1, 0) {
    // In the order they were invoked: the operations lifted are then mostly
    // a prefix of them, and the memo keeps only what lies beyond it.
    std::stable_sort(ops_.begin(), ops_.end(), [](const SearchOp& a, const SearchOp& b) { return a.call < b.call; });
  }

  Answer run() {
    build_list();
    std::int64_t state = initial_;
    std::int64_t max_call = std::numeric_limits<std::int64_t>::min();
    std::size_t required_left = 0;
    for (const SearchOp& op : ops_) required_left += op.step != Step::kMaybe;
    std::size_t entry = next_[kHead];
    std::uint64_t steps = 0;
    for (;;) {
      if ((++steps & 1023) == 0 && std::chrono::steady_clock::now() > deadline_) return Answer::kBudget;
      if (required_left == 0) {
        if (final_ok(state, max_call)) return Answer::kYes;
        entry = kEnd;  // nothing placed from here can end at the final count
      }
      if (entry == kEnd || !is_call(entry)) {
        if (stack_.empty()) return Answer::kNo;
        Frame frame = stack_.back();
        stack_.pop_back();
        std::size_t op = op_of(frame.entry);
        flip(op);
        state = frame.state;
        max_call = frame.max_call;
        prefix_ = frame.prefix;
        high_ = frame.high;
        required_left += ops_[op].step != Step::kMaybe;
        relink(op);
        entry = next_[frame.entry];
        continue;
      }
      std::size_t op = op_of(entry);
      std::optional<std::int64_t> after = apply(ops_[op], state, max_call);
      if (after) {
        std::size_t prefix = prefix_, high = high_;
        flip(op);
        high_ = std::max(high_, op + 1);
        while (prefix_ < ops_.size() && bit(prefix_)) ++prefix_;
        if (remember(*after)) {
          if (memory_used_ > memory_bytes_) return Answer::kBudget;
          stack_.push_back({entry, state, max_call, prefix, high});
          state = *after;
          max_call = std::max(max_call, ops_[op].call);
          required_left -= ops_[op].step != Step::kMaybe;
          unlink(op);
          entry = next_[kHead];
          continue;
        }
        flip(op);
        prefix_ = prefix, high_ = high;
      }
      entry = next_[entry];
    }
  }

  std::int64_t configurations() const { return static_cast<std::int64_t>(seen_.size()); }

 private:
  // The list of entries: each operation's call, and the return of each that
  // must have taken effect, in time order (calls first at the same time: the
  // two overlap). Entry 0 is the head; entries 2i+1 and 2i+2 are op i's.
  static constexpr std::size_t kHead = 0;
  static constexpr std::size_t kEnd = std::numeric_limits<std::size_t>::max();
  static std::size_t call_entry(std::size_t op) { return 2 * op + 1; }
  static std::size_t return_entry(std::size_t op) { return 2 * op + 2; }
  static bool is_call(std::size_t entry) { return entry % 2 == 1; }
  static std::size_t op_of(std::size_t entry) { return (entry - 1) / 2; }

  void build_list() {
    struct Event {
      std::int64_t time;
      bool is_return;
      std::size_t entry;
    };
    std::vector<Event> events;
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      events.push_back({ops_[i].call, false, call_entry(i)});
      if (ops_[i].step != Step::kMaybe) events.push_back({ops_[i].ret, true, return_entry(i)});
    }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      return a.time != b.time ? a.time < b.time : !a.is_return && b.is_return;
    });
    next_.assign(2 * ops_.size() + 1, kEnd);
    prev_.assign(2 * ops_.size() + 1, kHead);
    std::size_t last = kHead;
    for (const Event& event : events) {
      next_[last] = event.entry;
      prev_[event.entry] = last;
      last = event.entry;
    }
    has_return_.resize(ops_.size());
    for (std::size_t i = 0; i < ops_.size(); ++i) has_return_[i] = ops_[i].step != Step::kMaybe;
  }

  void unlink_entry(std::size_t entry) {
    next_[prev_[entry]] = next_[entry];
    if (next_[entry] != kEnd) prev_[next_[entry]] = prev_[entry];
  }
  void relink_entry(std::size_t entry) {
    next_[prev_[entry]] = entry;
    if (next_[entry] != kEnd) prev_[next_[entry]] = entry;
  }
  // Lifting an operation out of the list, and putting it back (in reverse).
  void unlink(std::size_t op) {
    unlink_entry(call_entry(op));
    if (has_return_[op]) unlink_entry(return_entry(op));
  }
  void relink(std::size_t op) {
    if (has_return_[op]) relink_entry(return_entry(op));
    relink_entry(call_entry(op));
  }

  // The count after `op` at `state`, if it can come next. An operation that
  // may have taken effect only while it ran cannot follow one invoked after
  // it returned; one that did nothing at 0 is not placed at all.
  static std::optional<std::int64_t> apply(const SearchOp& op, std::int64_t state, std::int64_t max_call) {
    switch (op.step) {
      case Step::kRead: return state == op.value ? std::optional(state) : std::nullopt;
      case Step::kSell: return state > 0 && state == op.value ? std::optional(state - 1) : std::nullopt;
      case Step::kSoldOut: return state == 0 ? std::optional(state) : std::nullopt;
      case Step::kMaybe: return state > 0 && op.ret >= max_call ? std::optional(state - 1) : std::nullopt;
    }
    return std::nullopt;
  }

  // Every operation that had to take effect is placed: the history is
  // linearizable if the purchases that may have sold, placed last, can
  // bring the count to the final one.
  bool final_ok(std::int64_t state, std::int64_t max_call) const {
    if (!final_) return true;
    std::int64_t can_sell = 0;
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (ops_[i].step == Step::kMaybe && !bit(i) && ops_[i].ret >= max_call) ++can_sell;
    }
    return *final_ >= 0 && *final_ <= state && state - *final_ <= can_sell;
  }

  bool bit(std::size_t op) const { return (lifted_[op / 64] >> (op % 64)) & 1; }
  void flip(std::size_t op) {
    lifted_[op / 64] ^= std::uint64_t{1} << (op % 64);
    hash_ ^= zobrist(op);
  }
  static std::uint64_t zobrist(std::size_t op) {
    std::uint64_t x = (op + 1) * 0x9e3779b97f4a7c15ULL;  // splitmix64
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }

  // Records (lifted set, state); false if it was seen before. The set is
  // kept as how long the prefix of operations all lifted is, and the words
  // of the bitset from there to the last one lifted.
  bool remember(std::int64_t state) {
    std::size_t offset = arena_.size();
    std::size_t first = prefix_ / 64, last = (high_ + 63) / 64;
    arena_.push_back(prefix_);
    arena_.push_back(static_cast<std::uint64_t>(state));
    if (first < last) arena_.insert(arena_.end(), lifted_.begin() + first, lifted_.begin() + last);
    std::uint64_t hash = hash_ ^ zobrist(ops_.size() + static_cast<std::size_t>(state & 0xffffff));
    if (!seen_.insert({hash, offset, arena_.size() - offset}).second) {
      arena_.resize(offset);
      return false;
    }
    memory_used_ = arena_.capacity() * sizeof(std::uint64_t) + seen_.size() * 48;
    return true;
  }

  struct Key {
    std::uint64_t hash;
    std::size_t offset;  // into arena_: the prefix, the state, the words beyond the prefix
    std::size_t length;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const { return key.hash; }
  };
  struct KeyEqual {
    const Search* search;
    bool operator()(const Key& a, const Key& b) const {
      const std::uint64_t* x = search->arena_.data() + a.offset;
      const std::uint64_t* y = search->arena_.data() + b.offset;
      return a.hash == b.hash && a.length == b.length && std::equal(x, x + a.length, y);
    }
  };

  // What lifting an operation changed, to be put back.
  struct Frame {
    std::size_t entry;
    std::int64_t state;
    std::int64_t max_call;
    std::size_t prefix;
    std::size_t high;
  };

  std::vector<SearchOp> ops_;
  std::int64_t initial_;
  std::optional<std::int64_t> final_;
  std::chrono::steady_clock::time_point deadline_;
  std::size_t memory_bytes_;
  std::vector<std::uint64_t> lifted_;
  std::size_t prefix_ = 0;  // operations 0 .. prefix_-1 are all lifted
  std::size_t high_ = 0;    // one past the last operation lifted
  std::uint64_t hash_ = 0;
  std::vector<std::size_t> next_, prev_;
  std::vector<bool> has_return_;
  std::vector<Frame> stack_;
  std::vector<std::uint64_t> arena_;
  std::unordered_set<Key, KeyHash, KeyEqual> seen_{64, KeyHash{}, KeyEqual{this}};
  std::size_t memory_used_ = 0;
};

// The operations of the history the search places, each with what it does;
// those that certainly did nothing are left out. With `cut`, the prefix of
// the history up to that time: an operation not returned by then is pending
// (a pending search is left out, a pending purchase may have sold).
std::vector<SearchOp> search_ops(const LinearizabilityInput& input, std::int64_t cut = kNever) {
  std::vector<SearchOp> ops;
  for (std::size_t b = 0; b < input.buyers.size(); ++b) {
    const BuyerHistory& buyer = input.buyers[b];
    for (std::size_t o = 0; o < buyer.operations.size(); ++o) {
      const Operation& op = buyer.operations[o];
      if (op.start_ns > cut) continue;
      bool returned = op.end_ns != 0 && op.end_ns <= cut;
      std::int64_t ret = op.end_ns != 0 ? op.end_ns : kNever;
      SearchOp s{op.start_ns, ret, 0, Step::kRead, {b, o}};
      bool search = op.kind == OperationKind::kSearch;
      switch (op.outcome) {
        case Outcome::kTimeout:
        case Outcome::kCancelled: continue;  // nothing happened
        case Outcome::kOk:
          if (!returned) continue;
          s.value = op.count_read;
          break;
        case Outcome::kSold:
          s.step = Step::kSell;
          s.value = op.ticket;
          break;
        case Outcome::kSoldOut: s.step = Step::kSoldOut; break;
        case Outcome::kCorrupt:
        case Outcome::kError:
        case Outcome::kIndeterminate:
          if (search) continue;  // a read that failed changed nothing
          s.step = Step::kMaybe;
          break;
      }
      if (!returned && !search) s.step = Step::kMaybe;
      if (s.step == Step::kMaybe && !returned) s.ret = kNever;
      ops.push_back(s);
    }
  }
  return ops;
}

std::string at(std::int64_t ns, std::int64_t origin_ns) {
  return fmt::format("+{:.1f} ms", static_cast<double>(ns - origin_ns) / 1e6);
}

// "buyer 4242's purchase (+1.0 ms .. +2.0 ms) sold #1"
std::string describe(const LinearizabilityInput& input, OperationRef ref) {
  const BuyerHistory& buyer = input.buyers[ref.buyer];
  const Operation& op = buyer.operations[ref.operation];
  std::string span = op.end_ns ? fmt::format("{} .. {}", at(op.start_ns, input.origin_ns), at(op.end_ns, input.origin_ns))
                               : fmt::format("{} .. never", at(op.start_ns, input.origin_ns));
  std::string what;
  switch (op.outcome) {
    case Outcome::kOk: what = fmt::format("read count={}", op.count_read); break;
    case Outcome::kSold: what = fmt::format("sold #{}", op.ticket); break;
    case Outcome::kSoldOut: what = "answered sold-out"; break;
    default: what = fmt::format("ended {}", outcome_name(op.outcome)); break;
  }
  return fmt::format("buyer {}'s {} ({}) {}", buyer.pid, op.kind == OperationKind::kSearch ? "search" : "purchase",
                     span, what);
}

}  // namespace

std::string_view linearizability_name(Linearizability answer) {
  switch (answer) {
    case Linearizability::kLinearizable: return "linearizable";
    case Linearizability::kNotLinearizable: return "not linearizable";
    case Linearizability::kUnknown: return "unknown";
  }
  return "unknown";
}

LinearizabilityResult check_linearizability(const LinearizabilityInput& input) {
  auto started = std::chrono::steady_clock::now();
  auto deadline = started + input.budget.time;
  LinearizabilityResult result;
  auto finish = [&](Linearizability answer, std::string explanation) {
    result.answer = answer;
    result.explanation = std::move(explanation);
    result.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  };
  auto budget_spent = [&] {
    return fmt::format("the search ran out of its budget ({} ms, {} MiB) after {} configurations",
                       input.budget.time.count(), input.budget.memory_bytes >> 20, result.configurations);
  };

  std::vector<SearchOp> all = search_ops(input);
  result.operations = static_cast<std::int64_t>(all.size());
  Search whole(all, input.tickets, input.final_count, deadline, input.budget.memory_bytes);
  Answer answer = whole.run();
  result.configurations += whole.configurations();
  if (answer == Answer::kYes) {
    return finish(Linearizability::kLinearizable,
                  fmt::format("a sequential sale explains all {} operations", result.operations));
  }
  if (answer == Answer::kBudget) return finish(Linearizability::kUnknown, budget_spent());

  // The smallest failing prefix, by the completions in time order: the
  // history up to the last one is linearizable only with the final count,
  // or not at all. Linearizability is closed under prefixes: bisect.
  std::vector<std::int64_t> completions;
  for (const SearchOp& op : all) {
    if (op.ret != kNever) completions.push_back(op.ret);
  }
  std::sort(completions.begin(), completions.end());
  completions.erase(std::unique(completions.begin(), completions.end()), completions.end());
  std::size_t low = 0, high = completions.size();  // prefixes up to completions[high] fail (high: the whole)
  bool bisected = true;
  while (low < high) {
    std::size_t middle = low + (high - low) / 2;
    Search prefix(search_ops(input, completions[middle]), input.tickets, std::nullopt, deadline,
                  input.budget.memory_bytes);
    Answer part = prefix.run();
    result.configurations += prefix.configurations();
    if (part == Answer::kBudget) {
      bisected = false;
      break;
    }
    if (part == Answer::kNo) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  if (high == completions.size()) {
    // Every prefix is linearizable: only the final count is not reached.
    return finish(Linearizability::kNotLinearizable,
                  fmt::format("no order of all {} operations ends with the store's final count {}",
                              result.operations, input.final_count.value_or(0)));
  }
  std::int64_t cut = completions[high];
  std::vector<SearchOp> prefix = search_ops(input, cut);
  result.prefix_operations = static_cast<std::int64_t>(prefix.size());
  const SearchOp* culprit = nullptr;
  for (const SearchOp& op : prefix) {
    if (op.ret == cut && (!culprit || op.step != Step::kMaybe)) culprit = &op;
  }
  if (culprit) {
    result.culprit = culprit->ref;
    // Its witnesses: a smallest set of the prefix's operations that has no
    // sequential order with it, found by leaving each out in turn (while
    // the budget lasts) and keeping it out if the rest still fails.
    std::vector<SearchOp> core = prefix;
    std::size_t culprit_index = static_cast<std::size_t>(culprit - prefix.data());
    std::swap(core[culprit_index], core.back());
    for (std::size_t i = core.size() - 1; i-- > 0;) {
      if (std::chrono::steady_clock::now() > deadline) break;
      std::vector<SearchOp> without = core;
      without.erase(without.begin() + static_cast<std::ptrdiff_t>(i));
      Search smaller(without, input.tickets, std::nullopt, deadline, input.budget.memory_bytes);
      Answer part = smaller.run();
      result.configurations += smaller.configurations();
      if (part == Answer::kNo) core = std::move(without);
      if (part == Answer::kBudget) break;
    }
    core.pop_back();  // the culprit
    std::sort(core.begin(), core.end(), [](const SearchOp& a, const SearchOp& b) { return a.call < b.call; });
    for (const SearchOp& op : core) result.witnesses.push_back(op.ref);
  }
  std::int64_t pending = std::count_if(prefix.begin(), prefix.end(), [cut](const SearchOp& op) { return op.ret > cut; });
  std::string text = fmt::format(
      "no sequential sale from {} explains the history up to {} ({} operations completed, {} pending){}: {}",
      plural(input.tickets, "ticket"), at(cut, input.origin_ns), result.prefix_operations - pending, pending,
      bisected ? "" : " (a shorter prefix may fail too: the budget ran out before it was found)",
      culprit ? describe(input, culprit->ref) : std::string("its last operation"));
  constexpr std::size_t kNamed = 4;
  for (std::size_t i = 0; i < result.witnesses.size() && i < kNamed; ++i) {
    text += fmt::format("{}{}", i == 0 ? ", beside " : ", ", describe(input, result.witnesses[i]));
  }
  if (result.witnesses.size() > kNamed) text += fmt::format(" and {} more", result.witnesses.size() - kNamed);
  return finish(Linearizability::kNotLinearizable, text);
}

}  // namespace ticketsim
