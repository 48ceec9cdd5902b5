// The byte-source seam: the FASTA layer asks for bytes of the *uncompressed* text by offset,
// and does not know whether they come from a plain file, a plain gzip stream resumed from a
// checkpoint, BGZF blocks, or (later) a remote object.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace ofq {

/// How the bytes of a FASTA file are stored, detected from its first bytes (never its name).
enum class Compression : uint8_t { plain = 0, gzip = 1, bgzf = 2 };

[[nodiscard]] const char* to_string(Compression c) noexcept;  ///< "fasta", "gzip", "bgzf"

/// Reads the magic bytes of `path`. Plain text, gzip and BGZF (BC extra subfield; the
/// 28-byte end-of-file block confirms it) are accepted; zstd, xz, bzip2 and zip are refused
/// with Error(unsupported_format) saying how to fix it ("compressed with xz; decompress it
/// or recompress with bgzip"). Throws Error(io_error) when the file cannot be read.
[[nodiscard]] Compression detect_compression(const std::string& path);

/// Random access to the uncompressed bytes of one file.
///
/// Thread-safety: read_at() may be called from several threads at once on one source.
class ByteSource {
public:
  ByteSource() = default;
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;
  virtual ~ByteSource() = default;

  /// Copies uncompressed bytes [offset, offset + out.size()) into out. Throws
  /// Error(corrupt_input) if the stream is damaged or shorter than the index says (the file
  /// changed after indexing), Error(io_error) on a read failure. Never returns short.
  virtual void read_at(uint64_t offset, std::span<char> out) const = 0;

  /// Size in bytes of the uncompressed text.
  [[nodiscard]] virtual uint64_t size() const noexcept = 0;

  /// Bytes decoded together at a time (checkpoint spacing for gzip, 64 KiB for BGZF, 0 for
  /// plain files). Batches sort positions so that each such unit is decoded once.
  [[nodiscard]] virtual uint64_t access_granularity() const noexcept { return 0; }
};

/// A plain file read with pread(2): no mmap, so a file truncated while a server runs gives
/// an error, not SIGBUS.
[[nodiscard]] std::unique_ptr<ByteSource> open_plain_source(const std::string& path);

}  // namespace ofq
