// Events per second each output sustains on this machine, alone and all at
// once: N alert records written through an OutputSet, timed from the first
// write to the end of Stop (everything delivered). The peers are real and
// local: a file, discard servers for the socket outputs, redis-server on a
// unix socket, librdkafka's mock cluster.
//
// usage: output_rate [RECORDS]   (default 200000)

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "engine/output/sinks/output_set.h"
#include "tests/support/peers.h"

namespace {

using kagami::output::OutputSet;

// An alert as `kagami scan` writes one (about 700 bytes), numbered so
// every record differs.
std::string Alert(int i) {
  return "{\"timestamp\":\"2026-12-07T10:11:12.123456+0000\",\"flow_id\":" + std::to_string(1000000 + i) +
         ",\"pcap_cnt\":" + std::to_string(i) +
         ",\"event_type\":\"alert\",\"src_ip\":\"10.1.2.3\",\"src_port\":49812,\"dest_ip\":\"203.0.113.7\","
         "\"dest_port\":443,\"proto\":\"TCP\",\"pkt_src\":\"wire/pcap\",\"community_id\":\"1:LQU9qZlK+B5F3KDmev6m"
         "5PMib" + std::to_string(i % 97) +
         "=\",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":2030171,\"rev\":3,\"signature\":\"ET "
         "MALWARE Tick Group Datper CnC Checkin\",\"category\":\"A Network Trojan was detected\",\"severity\":1,"
         "\"metadata\":{\"affected_product\":[\"Windows_XP_Vista_7_8_10_Server_32_64_Bit\"],\"attack_target\":"
         "[\"Client_Endpoint\"],\"created_at\":[\"2020_05_13\"],\"malware_family\":[\"Datper\"],"
         "\"signature_severity\":[\"Major\"],\"updated_at\":[\"2020_05_13\"]}},\"app_proto\":\"http\","
         "\"http\":{\"hostname\":\"update.example.jp\",\"url\":\"/index.php?id=48e2a1\",\"http_user_agent\":"
         "\"Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1)\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\","
         "\"status\":200,\"length\":1024},\"pcap_filename\":\"capture.pcap\"}\n";
}

// Reads and throws away everything sent to a stream or datagram socket.
class Discard {
 public:
  Discard(int fd, bool stream) : fd_(fd) {
    thread_ = std::thread([this, stream] {
      std::vector<std::thread> readers;
      char buf[1 << 16];
      if (!stream) {
        while (!stop_ && ::recv(fd_, buf, sizeof buf, 0) >= 0) {
        }
        return;
      }
      ::listen(fd_, 16);
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) break;
        readers.emplace_back([c] {
          char b[1 << 16];
          while (::recv(c, b, sizeof b, 0) > 0) {
          }
          ::close(c);
        });
      }
      for (auto& r : readers) r.join();
    });
  }
  ~Discard() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }

 private:
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int UnixSocket(const std::string& path, int type) {
  const int fd = ::socket(AF_UNIX, type, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  return fd;
}

int LoopbackSocket(int type, uint16_t* port) {
  const int fd = kagami::testing::BindLoopback(type, port);
  if (type == SOCK_DGRAM) {
    const int big = 8 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  }
  return fd;
}

// Seconds to write `records` to the outputs and have them all delivered.
double Run(const std::vector<std::string>& urls, const std::vector<std::string>& records, uint64_t* dropped) {
  OutputSet set;
  for (const std::string& url : urls) {
    // A queue that holds the whole run: the rate measured is the peer's,
    // not how fast the writer can outrun it.
    const std::string with_queue = url + (url.find('?') == std::string::npos ? "?" : "&") + "queue=2gb";
    if (absl::Status s = set.Add(with_queue, kagami::output::kEventAlert); !s.ok()) {
      std::fprintf(stderr, "output_rate: %s\n", std::string(s.message()).c_str());
      std::exit(2);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& r : records) set.Write(r);
  set.Stop(std::chrono::seconds(60));
  *dropped = set.dropped();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200000;
  kagami::testing::ScratchDir dir;
  std::vector<std::string> records;
  size_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    records.push_back(Alert(i));
    bytes += records.back().size();
  }
  kagami::testing::RedisServer redis(dir.path(), "", /*persistent=*/false);
  if (!redis.Start()) {
    std::fprintf(stderr, "output_rate: cannot start redis-server\n");
    return 2;
  }
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  rd_kafka_mock_cluster_t* kafka = rd_kafka_mock_cluster_new(handle, 3);
  rd_kafka_mock_topic_create(kafka, "eve", 4, 3);
  uint16_t udp_port = 0, tcp_port = 0;
  Discard stream(UnixSocket(dir / "stream.sock", SOCK_STREAM), true);
  Discard dgram(UnixSocket(dir / "dgram.sock", SOCK_DGRAM), false);
  Discard udp(LoopbackSocket(SOCK_DGRAM, &udp_port), false);
  Discard tcp(LoopbackSocket(SOCK_STREAM, &tcp_port), true);
  const std::vector<std::string> urls = {
      "file:" + (dir / "eve.json"),
      "unix-stream:" + (dir / "stream.sock"),
      "unix-dgram:" + (dir / "dgram.sock"),
      "syslog+udp://127.0.0.1:" + std::to_string(udp_port),
      "syslog+tcp://127.0.0.1:" + std::to_string(tcp_port),
      "redis+unix://" + redis.socket() + "?mode=list&key=l",
      "redis+unix://" + redis.socket() + "?mode=channel&key=c",
      "redis+unix://" + redis.socket() + "?mode=stream&key=s&maxlen=100000",
      std::string("kafka://") + rd_kafka_mock_cluster_bootstraps(kafka) + "/eve?prop.log_level=0",
  };
  std::printf("%d records of %zu bytes on average\n\n", n, bytes / records.size());
  std::printf("%-36s %12s %10s %8s\n", "output", "records/s", "MB/s", "dropped");
  for (const std::string& url : urls) {
    uint64_t dropped = 0;
    const double s = Run({url}, records, &dropped);
    const std::string name = url.substr(0, url.find(':')) + (url.find("mode=") != std::string::npos
                                                                 ? " " + url.substr(url.find("mode=") + 5,
                                                                                    url.find('&', url.find("mode=")) -
                                                                                        url.find("mode=") - 5)
                                                                 : "");
    std::printf("%-36s %12.0f %10.1f %8llu\n", name.c_str(), n / s, bytes / s / 1e6,
                static_cast<unsigned long long>(dropped));
    std::fflush(stdout);
  }
  uint64_t dropped = 0;
  const double s = Run(urls, records, &dropped);
  std::printf("%-36s %12.0f %10.1f %8llu\n", "all nine at once (each gets every record)", n / s, bytes / s / 1e6,
              static_cast<unsigned long long>(dropped));
  rd_kafka_mock_cluster_destroy(kafka);
  rd_kafka_destroy(handle);
  return 0;
}
