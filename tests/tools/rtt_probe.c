/* A ping with microsecond resolution for the link tests: UDP probes carrying their send time,
 * echoed by a server (ping prints 40 ms RTTs to 0.1 ms only).
 *   rtt_probe server PORT
 *   rtt_probe client HOST PORT COUNT INTERVAL_MS
 * The client prints "seq=N rtt_us=X" per echo, then "sent N received M". */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct probe {
	uint64_t seq;
	uint64_t sent_ns;
	uint8_t pad[48]; /* 64 bytes of payload, like ping's default */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int serve(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct probe p;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("rtt_probe server");
		return 1;
	}
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, &p, sizeof(p), 0, (struct sockaddr *)&from, &fl);

		if (n < 0 && errno != EINTR)
			return 1;
		if (n > 0)
			sendto(fd, &p, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

/* Reads what echoes are in, printing their RTTs; waits until deadline_ns at most. */
static void collect(int fd, uint64_t deadline_ns, uint64_t *received)
{
	for (;;) {
		uint64_t now = mono_ns();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		struct probe p;

		if (now >= deadline_ns)
			return;
		if (poll(&pfd, 1, (int)((deadline_ns - now) / 1000000 + 1)) <= 0)
			continue;
		if (recv(fd, &p, sizeof(p), 0) != (ssize_t)sizeof(p))
			continue;
		now = mono_ns();
		printf("seq=%llu rtt_us=%.1f\n", (unsigned long long)p.seq,
		       (double)(now - p.sent_ns) / 1e3);
		(*received)++;
	}
}

static int client(const char *host, int port, long count, double interval_ms)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	uint64_t interval_ns = (uint64_t)(interval_ms * 1e6), next, received = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("rtt_probe client");
		return 1;
	}
	next = mono_ns();
	for (long i = 0; i < count; i++) {
		struct probe p = {.seq = (uint64_t)i};

		collect(fd, next, &received);
		p.sent_ns = mono_ns();
		if (send(fd, &p, sizeof(p), 0) < 0)
			perror("rtt_probe send");
		next += interval_ns;
	}
	collect(fd, mono_ns() + 1000000000ull, &received);
	printf("sent %ld received %llu\n", count, (unsigned long long)received);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "server"))
		return serve(atoi(argv[2]));
	if (argc == 6 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), atol(argv[4]), atof(argv[5]));
	fprintf(stderr, "usage: rtt_probe server PORT | client HOST PORT COUNT INTERVAL_MS\n");
	return 2;
}
