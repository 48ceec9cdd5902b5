// Detection of how a FASTA file is stored, from its bytes (never its name).
//
// gzip is RFC 1952's 1f 8b 08. BGZF is gzip whose first member carries the extra subfield
// SI1='B' SI2='C' (SLEN 2, the block size), and we only call it BGZF when the file also ends
// with htslib's 28-byte empty end-of-file block: a file with BC headers but no end block is
// read as plain multi-member gzip, which is always correct (BGZF is valid gzip), only slower.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "bgzf_format_internal.hpp"
#include "ofq/byte_source.hpp"
#include "ofq/error.hpp"

namespace ofq {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

/// Reads up to n bytes at offset; returns how many (short only at end of file).
size_t read_some(int fd, const std::string& path, uint64_t offset, unsigned char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, out + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw Error(Errc::io_error, path + ": cannot read: " + std::strerror(errno));
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

bool starts_with(const unsigned char* b, size_t n, std::initializer_list<unsigned char> magic) {
  if (n < magic.size()) return false;
  size_t i = 0;
  for (unsigned char m : magic) {
    if (b[i++] != m) return false;
  }
  return true;
}

[[noreturn]] void refuse(const std::string& path, const char* what) {
  throw Error(Errc::unsupported_format,
              path + ": compressed with " + what + "; decompress it or recompress with bgzip");
}

}  // namespace

const char* to_string(Compression c) noexcept {
  switch (c) {
    case Compression::plain: return "fasta";
    case Compression::gzip: return "gzip";
    case Compression::bgzf: return "bgzf";
  }
  return "unknown";
}

Compression detect_compression(const std::string& path) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) throw Error(Errc::io_error, path + ": cannot open: " + std::strerror(errno));
  struct stat st{};
  if (::fstat(f.fd, &st) != 0) throw Error(Errc::io_error, path + ": cannot stat: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw Error(Errc::io_error, path + ": is a directory, not a FASTA file");

  std::array<unsigned char, 64> head{};
  const size_t n = read_some(f.fd, path, 0, head.data(), head.size());
  const unsigned char* b = head.data();

  if (starts_with(b, n, {0x28, 0xb5, 0x2f, 0xfd})) refuse(path, "zstd");
  if (starts_with(b, n, {0xfd, '7', 'z', 'X', 'Z', 0x00})) refuse(path, "xz");
  if (starts_with(b, n, {'B', 'Z', 'h'})) refuse(path, "bzip2");
  if (starts_with(b, n, {'P', 'K', 0x03, 0x04}) || starts_with(b, n, {'P', 'K', 0x05, 0x06}))
    refuse(path, "zip");
  if (starts_with(b, n, {0x04, 0x22, 0x4d, 0x18})) refuse(path, "lz4");
  if (starts_with(b, n, {0x1f, 0x9d})) refuse(path, "Unix compress (.Z)");
  if (starts_with(b, n, {'7', 'z', 0xbc, 0xaf, 0x27, 0x1c})) refuse(path, "7-Zip");
  if (!starts_with(b, n, {0x1f, 0x8b})) return Compression::plain;

  if (n < 10) {
    throw Error(Errc::corrupt_input, path + ": gzip stream is truncated at byte " +
                                         std::to_string(n) + " (member 1): the header needs 10 bytes");
  }
  if (b[2] != 8) {
    throw Error(Errc::unsupported_format,
                path + ": gzip header at byte 0 names compression method " + std::to_string(b[2]) +
                    " (only 8, deflate, exists); the file is damaged or not gzip");
  }
  if (!detail::bgzf::has_bc_subfield(b, n)) return Compression::gzip;

  // BC subfield seen: confirm with the end-of-file block.
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < detail::bgzf::k_eof_block.size()) return Compression::gzip;
  std::array<unsigned char, detail::bgzf::k_eof_block.size()> tail{};
  const size_t t = read_some(f.fd, path, size - tail.size(), tail.data(), tail.size());
  if (t == tail.size() && std::memcmp(tail.data(), detail::bgzf::k_eof_block.data(), tail.size()) == 0)
    return Compression::bgzf;
  return Compression::gzip;
}

}  // namespace ofq
