#pragma once
// Runs the kagami binary (path from $KAGAMI_BINARY, set by CTest) and reads
// back what it wrote, for the end-to-end tests.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace kagami::testing {

inline std::string KagamiBinary() {
  const char* p = std::getenv("KAGAMI_BINARY");
  return p ? p : "kagami";
}

// The traffic generator (path from $KAGAMI_GEN, set by CTest).
inline std::string KagamiGenBinary() {
  const char* p = std::getenv("KAGAMI_GEN");
  return p ? p : "kagami-gen";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct ProcessResult {
  int exit_code = -1;
  std::string out, err;
};

// Starts `program` with `args`, stdout and stderr going to files in `dir`.
inline pid_t StartProgram(const std::string& program, const std::vector<std::string>& args,
                          const std::string& dir) {
  std::vector<std::string> all = {program};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, (dir + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, (dir + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

// Kagami started by a test keeps its Hyperscan cache in the build tree
// (build/PRESET/test-cache), not the user's or /var/cache, unless the
// environment names one.
inline pid_t StartKagami(const std::vector<std::string>& args, const std::string& dir) {
  const std::string binary = KagamiBinary();
  if (const size_t slash = binary.rfind("/cli/"); slash != std::string::npos) {
    setenv("XDG_CACHE_HOME", (binary.substr(0, slash) + "/test-cache").c_str(), /*overwrite=*/0);
  }
  return StartProgram(binary, args, dir);
}

inline ProcessResult WaitKagami(pid_t pid, const std::string& dir) {
  ProcessResult r;
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid) {
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  r.out = ReadFile(dir + "/stdout");
  r.err = ReadFile(dir + "/stderr");
  return r;
}

inline ProcessResult RunKagami(const std::vector<std::string>& args, const std::string& dir) {
  return WaitKagami(StartKagami(args, dir), dir);
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// The signature ids of the alert records in EVE text, in order.
inline std::vector<long> AlertSids(const std::string& eve) {
  static const std::string kKey = "\"signature_id\":";
  std::vector<long> sids;
  for (const std::string& line : Lines(eve)) {
    if (line.find("\"event_type\":\"alert\"") == std::string::npos) continue;
    size_t at = line.find(kKey);
    if (at != std::string::npos) sids.push_back(std::strtol(line.c_str() + at + kKey.size(), nullptr, 10));
  }
  return sids;
}

// Validates every line of an EVE file against Suricata's schema; returns the
// validator's exit status (0 = all valid), or -1 when it cannot run here.
inline int ValidateEve(const std::string& eve_path) {
  std::string schema = std::string(KAGAMI_SOURCE_DIR) + "/../shared/eve/schema.json";
  std::string script = std::string(KAGAMI_SOURCE_DIR) + "/tests/support/validate_eve.py";
  if (access(schema.c_str(), R_OK) != 0) return -1;
  if (std::system("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") != 0) return -1;
  std::string cmd = "/usr/bin/python3 " + script + " " + schema + " " + eve_path;
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace kagami::testing
