// The Hyperscan database cache: an engine loaded from it matches as the one
// it was compiled from, and a cache file that is damaged, foreign, swapped or
// unsafe is never used: it is reported, compiled afresh and rewritten.
#include "engine/detect/hs_cache.h"

#include <gmock/gmock.h>

#include <dirent.h>
#include <hs/hs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/detect/detect_test_util.h"

namespace kagami::detect::testing {
namespace {

// Packet rules on three classes (TCP with its streaming twin, UDP, ICMP):
// several databases, so several cache files.
constexpr char kRules[] =
    "alert tcp any any -> any any (msg:\"a\"; content:\"evil-tcp\"; sid:1;)\n"
    "alert tcp any any -> any any (msg:\"b\"; content:\"OTHER\"; nocase; sid:2;)\n"
    "alert udp any any -> any any (msg:\"c\"; content:\"evil-udp\"; sid:3;)\n"
    "alert icmp any any -> any any (msg:\"d\"; content:\"ping-mark\"; sid:4;)\n";

class HsCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-hscache-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl + "/nested/cache";  // created by the first store
    root_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + root_ + "'").c_str()); }

  std::shared_ptr<const DetectEngine> Compile(HsCache* cache) {
    DetectOptions o;
    o.hs_cache = cache;
    return CompileText(kRules, o);
  }

  std::vector<std::string> Files() const {
    std::vector<std::string> out;
    if (DIR* d = opendir(dir_.c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string name = e->d_name;
        if (name.size() > 5 && name.substr(name.size() - 5) == ".hsdb") out.push_back(dir_ + "/" + name);
      }
      closedir(d);
    }
    return out;
  }

  // The sids each probe packet raises.
  static std::vector<std::vector<uint32_t>> Probe(std::shared_ptr<const DetectEngine> engine) {
    Harness h(std::move(engine));
    std::vector<std::vector<uint32_t>> out;
    out.push_back(h.Sids(*MakeTcp("10.0.0.1", 1, "10.0.0.2", 2, "xx evil-tcp and other stuff")));
    out.push_back(h.Sids(*MakeTcp("10.0.0.1", 1, "10.0.0.2", 2, "nothing here")));
    out.push_back(h.Sids(*MakeUdp("10.0.0.1", 1, "10.0.0.2", 2, "an evil-udp datagram")));
    out.push_back(h.Sids(*MakeIcmp("10.0.0.1", "10.0.0.2", 8, 0, "ping-mark")));
    return out;
  }

  std::string dir_, root_;
};

TEST_F(HsCacheTest, SecondCompileLoadsEveryDatabaseAndMatchesTheSame) {
  HsCache first(dir_);
  auto compiled = Compile(&first);
  ASSERT_TRUE(compiled);
  // The ICMPv4 and ICMPv6 databases hold the same patterns: one entry, made
  // for the first and loaded for the second.
  const uint64_t builds = first.stats().hits + first.stats().misses;
  EXPECT_EQ(builds, 4u);  // tcp (with its streaming twin), udp, icmpv4, icmpv6
  EXPECT_EQ(first.stats().writes, first.stats().misses);
  EXPECT_EQ(first.stats().writes, Files().size());
  EXPECT_TRUE(first.warnings().empty());
  struct stat st;
  ASSERT_EQ(stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  HsCache second(dir_);
  auto loaded = Compile(&second);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(second.stats().hits, builds);
  EXPECT_EQ(second.stats().misses, 0u);
  EXPECT_EQ(second.stats().writes, 0u);
  EXPECT_TRUE(second.warnings().empty());
  const auto expected = Probe(compiled);
  EXPECT_EQ(expected, (std::vector<std::vector<uint32_t>>{{1, 2}, {}, {3}, {4}}));
  EXPECT_EQ(Probe(loaded), expected);
  EXPECT_EQ(loaded->stats().prefilter_patterns, compiled->stats().prefilter_patterns);
}

TEST_F(HsCacheTest, OtherPatternsAreOtherEntries) {
  HsCache cache(dir_);
  ASSERT_TRUE(Compile(&cache));
  const size_t files = Files().size();
  DetectOptions o;
  o.hs_cache = &cache;
  ASSERT_TRUE(CompileText("alert tcp any any -> any any (msg:\"z\"; content:\"evil-tcq\"; sid:1;)\n", o));
  EXPECT_GT(Files().size(), files);
}

// Each kind of damage, applied to every file of a warm cache: the next
// compile warns once per file, matches as before, and leaves good files.
void Damage(const std::string& path, const std::string& how) {
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (how == "truncate") bytes.resize(bytes.size() / 2);
  if (how == "header") bytes.resize(20);
  if (how == "flip") bytes[bytes.size() - 7] ^= 0x20;
  if (how == "magic") bytes[0] = 'X';
  if (how == "extend") bytes += "tail";
  if (how == "empty") bytes.clear();
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST_F(HsCacheTest, DamagedFilesAreReportedIgnoredAndRewritten) {
  for (const std::string how : {"truncate", "header", "flip", "magic", "extend", "empty"}) {
    SCOPED_TRACE(how);
    HsCache warm(dir_);
    auto reference = Compile(&warm);
    ASSERT_TRUE(reference);
    const std::vector<std::string> files = Files();
    ASSERT_FALSE(files.empty());
    for (const std::string& f : files) Damage(f, how);

    const uint64_t builds = warm.stats().hits + warm.stats().misses;
    HsCache damaged(dir_);
    auto engine = Compile(&damaged);
    ASSERT_TRUE(engine);
    // Every file is refused once; a database with the same patterns as one
    // built before it in the same compile then loads the rewritten entry.
    EXPECT_EQ(damaged.stats().hits, builds - files.size());
    EXPECT_EQ(damaged.stats().rejected, files.size());
    EXPECT_EQ(damaged.stats().writes, files.size());
    ASSERT_EQ(damaged.warnings().size(), files.size());
    EXPECT_THAT(damaged.warnings()[0], ::testing::HasSubstr("; ignored, compiling and rewriting it"));
    EXPECT_THAT(damaged.warnings()[0], ::testing::HasSubstr(dir_));
    EXPECT_EQ(Probe(engine), Probe(reference));

    HsCache repaired(dir_);
    ASSERT_TRUE(Compile(&repaired));
    EXPECT_EQ(repaired.stats().hits, builds);
    EXPECT_TRUE(repaired.warnings().empty());
  }
}

// A well-formed entry under another entry's name (swapped files): the key
// inside does not match, so it is refused.
TEST_F(HsCacheTest, AnEntryUnderAnotherNameIsRefused) {
  HsCache warm(dir_);
  ASSERT_TRUE(Compile(&warm));
  std::vector<std::string> files = Files();
  ASSERT_GE(files.size(), 2u);
  const std::string tmp = files[0] + ".swap";
  ASSERT_EQ(rename(files[0].c_str(), tmp.c_str()), 0);
  ASSERT_EQ(rename(files[1].c_str(), files[0].c_str()), 0);
  ASSERT_EQ(rename(tmp.c_str(), files[1].c_str()), 0);
  HsCache swapped(dir_);
  ASSERT_TRUE(Compile(&swapped));
  EXPECT_EQ(swapped.stats().rejected, 2u);
  ASSERT_EQ(swapped.warnings().size(), 2u);
  EXPECT_THAT(swapped.warnings()[0], ::testing::HasSubstr("holds another key"));
}

// Bytes another user could have written are not handed to Hyperscan.
TEST_F(HsCacheTest, WorldWritableFilesAreRefused) {
  HsCache warm(dir_);
  ASSERT_TRUE(Compile(&warm));
  const std::vector<std::string> files = Files();
  for (const std::string& f : files) ASSERT_EQ(chmod(f.c_str(), 0666), 0);
  HsCache unsafe(dir_);
  ASSERT_TRUE(Compile(&unsafe));
  EXPECT_EQ(unsafe.stats().rejected, files.size());
  ASSERT_FALSE(unsafe.warnings().empty());
  EXPECT_THAT(unsafe.warnings()[0], ::testing::HasSubstr("writable by others"));
  // Rewritten with the owner-only mode.
  struct stat st;
  ASSERT_EQ(stat(files[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(HsCacheTest, AnUnwritableDirectoryIsOneWarningAndTheEngineStillBuilds) {
  // A file where the directory should be: it cannot be created.
  std::ofstream(root_ + "/nested") << "not a directory";
  HsCache cache(dir_);
  auto engine = Compile(&cache);
  ASSERT_TRUE(engine);
  EXPECT_EQ(cache.stats().writes, 0u);
  EXPECT_EQ(cache.stats().write_errors, 1u);
  ASSERT_EQ(cache.warnings().size(), 1u);
  EXPECT_THAT(cache.warnings()[0], ::testing::HasSubstr("databases are not cached"));
  EXPECT_EQ(Probe(engine), (std::vector<std::vector<uint32_t>>{{1, 2}, {}, {3}, {4}}));
}

TEST_F(HsCacheTest, DisabledCacheNeitherReadsNorWrites) {
  HsCache off("");
  EXPECT_FALSE(off.enabled());
  ASSERT_TRUE(Compile(&off));
  EXPECT_EQ(off.stats().hits + off.stats().misses + off.stats().writes, 0u);
  EXPECT_TRUE(Files().empty());
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// ParseEntry is Load's check of a file's bytes: a stored entry passes whole,
// and each kind of damage is refused with the reason Load reports for it.
TEST_F(HsCacheTest, ParseEntryChecksTheBytesAsLoadDoes) {
  const HsCache::Key key = HsCache::KeyOf("parse entry");
  const std::string payload = "a payload of a few bytes";
  HsCache writer(dir_);
  writer.Store(key, payload);
  ASSERT_EQ(Files().size(), 1u);
  const std::string path = Files()[0];
  const std::string good = ReadBytes(path);
  std::string why;
  std::optional<std::string_view> parsed = HsCache::ParseEntry(key, good, &why);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, payload);
  EXPECT_EQ(parsed->data() + parsed->size(), good.data() + good.size());  // a view of the end

  HsCache::Key other = key;
  other[31] ^= 1;
  EXPECT_FALSE(HsCache::ParseEntry(other, good, &why));
  EXPECT_EQ(why, "holds another key");

  struct Case {
    std::string bytes, why;
  };
  std::string magic = good, format = good, flip = good;
  magic[0] = 'X';
  format[8] = 2;
  flip[flip.size() - 3] ^= 0x20;
  const Case cases[] = {
      {"", "truncated header"},
      {good.substr(0, 87), "truncated header"},
      {magic, "not a Kagami cache file"},
      {format, "format 2, expected 1"},
      {good.substr(0, good.size() - 1), "payload of 23 bytes where the header says 24 (truncated or extended)"},
      {good + "x", "payload of 25 bytes where the header says 24 (truncated or extended)"},
      {flip, "payload checksum mismatch"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    why.clear();
    EXPECT_FALSE(HsCache::ParseEntry(key, c.bytes, &why));
    EXPECT_EQ(why, c.why);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << c.bytes;
    HsCache reader(dir_);
    EXPECT_FALSE(reader.Load(key));
    EXPECT_EQ(reader.stats().rejected, 1u);
    ASSERT_EQ(reader.warnings().size(), 1u);
    EXPECT_THAT(reader.warnings()[0], ::testing::HasSubstr(": " + c.why + "; ignored"));
  }

  // An empty payload is an entry like any other.
  writer.Store(key, "");
  const std::string empty = ReadBytes(path);
  parsed = HsCache::ParseEntry(key, empty, &why);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->empty());
}

// The hs_cache fuzz seeds (tests/fuzz/corpus/hs_cache) check as their names
// say, under the fuzz target's fixed key (bytes 0..31), and the valid one
// holds a database this Hyperscan loads, so the fuzzer starts from an input
// that reaches hs_deserialize_database. They were written by HsCache::Store:
// valid.hsdb holds hs_compile_lit_multi of "evil" (HS_FLAG_SINGLEMATCH, block
// mode, HS_TUNE_FAMILY_GENERIC and no CPU features, so any x86-64 loads it),
// serialized; truncated.hsdb is its first 588 bytes, bad_magic.hsdb has 'X'
// for its first byte, flipped_payload.hsdb its 7th last byte xor 0x20,
// other_key.hsdb the same payload stored under bytes 32..63, and
// empty_payload.hsdb an empty payload. Remake them that way if Hyperscan's
// version changes.
TEST(HsCacheFuzzCorpus, SeedsCheckAsNamed) {
  const std::string dir = std::string(KAGAMI_SOURCE_DIR) + "/tests/fuzz/corpus/hs_cache/";
  HsCache::Key key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  const std::pair<const char*, const char*> refused[] = {
      {"truncated.hsdb", "payload of 500 bytes where the header says 1000 (truncated or extended)"},
      {"bad_magic.hsdb", "not a Kagami cache file"},
      {"flipped_payload.hsdb", "payload checksum mismatch"},
      {"other_key.hsdb", "holds another key"},
  };
  for (const auto& [name, reason] : refused) {
    SCOPED_TRACE(name);
    const std::string bytes = ReadBytes(dir + name);
    ASSERT_FALSE(bytes.empty());
    std::string why;
    EXPECT_FALSE(HsCache::ParseEntry(key, bytes, &why));
    EXPECT_EQ(why, reason);
  }
  std::string why;
  const std::string empty = ReadBytes(dir + "empty_payload.hsdb");
  std::optional<std::string_view> payload = HsCache::ParseEntry(key, empty, &why);
  ASSERT_TRUE(payload) << why;
  EXPECT_TRUE(payload->empty());

  const std::string valid = ReadBytes(dir + "valid.hsdb");
  payload = HsCache::ParseEntry(key, valid, &why);
  ASSERT_TRUE(payload) << why;
  ASSERT_EQ(payload->size(), 1000u);
  hs_database_t* db = nullptr;
  ASSERT_EQ(hs_deserialize_database(payload->data(), payload->size(), &db), HS_SUCCESS)
      << "valid.hsdb was made by another Hyperscan than " << hs_version() << ": remake the seeds";
  hs_scratch_t* scratch = nullptr;
  ASSERT_EQ(hs_alloc_scratch(db, &scratch), HS_SUCCESS);
  static constexpr char kText[] = "an evil packet";
  unsigned hits = 0;
  auto on_match = [](unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
    ++*static_cast<unsigned*>(ctx);
    return 0;
  };
  EXPECT_EQ(hs_scan(db, kText, sizeof kText - 1, 0, scratch, on_match, &hits), HS_SUCCESS);
  EXPECT_EQ(hits, 1u);
  hs_free_scratch(scratch);
  hs_free_database(db);
}

TEST(HsCacheKey, DependsOnEveryByteOfTheDescription) {
  const HsCache::Key a = HsCache::KeyOf("patterns");
  EXPECT_EQ(a, HsCache::KeyOf("patterns"));
  EXPECT_NE(a, HsCache::KeyOf("patternt"));
  EXPECT_NE(a, HsCache::KeyOf(std::string("patterns\0", 9)));
}

TEST(HsCacheDefaultDir, FollowsXdgThenHome) {
  const char* old_xdg = std::getenv("XDG_CACHE_HOME");
  const std::string saved = old_xdg ? old_xdg : "";
  setenv("XDG_CACHE_HOME", "/tmp/xdg-here", 1);
  EXPECT_EQ(HsCache::DefaultDir(), "/tmp/xdg-here/kagami");
  unsetenv("XDG_CACHE_HOME");
  if (geteuid() == 0) {
    EXPECT_EQ(HsCache::DefaultDir(), "/var/cache/kagami");
  } else if (const char* home = std::getenv("HOME")) {
    EXPECT_EQ(HsCache::DefaultDir(), std::string(home) + "/.cache/kagami");
  }
  if (old_xdg) setenv("XDG_CACHE_HOME", saved.c_str(), 1);
}

}  // namespace
}  // namespace kagami::detect::testing
