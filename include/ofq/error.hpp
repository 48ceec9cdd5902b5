// ofq: the engine's one error vocabulary.
//
// Every failure the engine reports is an ofq::Error carrying an Errc. The CLI maps an Errc
// to an exit code (exit_code()), the server to an HTTP status (src/server/error_status.cpp):
// one table each, so a new kind of failure is added in exactly three places.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace ofq {

enum class Errc : int {
  ok = 0,
  bad_usage = 1,         ///< a caller's argument is malformed (option, format name, region text)
  bad_positions = 2,     ///< one or more positions of a batch are invalid; see Error::rows()
  unknown_sequence = 3,  ///< a single-region lookup named a record the file does not hold
  not_nucleic = 4,       ///< complement of a protein record
  file_refused = 5,      ///< the FASTA file breaks a rule of SEMANTICS.md (name, line, record given)
  corrupt_input = 6,     ///< compressed stream truncated or corrupt, or file changed under us
  unsupported_format = 7,///< zstd, xz, bzip2, zip ... (detected from the bytes)
  bad_index = 8,         ///< index file damaged, of another version, or stale and not rebuildable
  io_error = 9,          ///< open/read/write failed (errno text in the message)
  internal = 10,
};

const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), error_category()}; }

/// One bad row of a batch: `row` is the 0-based index into the positions list, `line` the
/// 1-based line of the positions file when the batch came from a file (0 otherwise).
struct RowError {
  uint64_t row = 0;
  uint64_t line = 0;
  std::string id;
  std::string reason;
};

/// The exception thrown by every engine function. what() is one sentence a person can act
/// on, naming the file, line, record or row concerned.
class Error : public std::runtime_error {
public:
  Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Error(Errc code, const std::string& message, std::vector<RowError> rows)
      : std::runtime_error(message), code_(code), rows_(std::move(rows)) {}
  [[nodiscard]] Errc code() const noexcept { return code_; }
  [[nodiscard]] const std::vector<RowError>& rows() const noexcept { return rows_; }

private:
  Errc code_;
  std::vector<RowError> rows_;
};

/// The CLI's exit code for an error (SEMANTICS.md, decisions): 1 usage or positions,
/// 2 input file refused or damaged, 3 I/O, 4 internal.
[[nodiscard]] int exit_code(Errc e) noexcept;

/// Short stable name of a code ("bad_positions", "file_refused" ...), for logs and JSON.
[[nodiscard]] const char* errc_name(Errc e) noexcept;

}  // namespace ofq

template <>
struct std::is_error_code_enum<ofq::Errc> : std::true_type {};
