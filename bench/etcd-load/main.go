// etcd-load: drives etcd with its own Go client (clientv3) the way etcd's tools/benchmark does, so that the
// comparison in bench/compare-etcd.sh runs etcd at its best: N client goroutines, each with one request in
// flight, spread over up to 16 gRPC connections, all to the leader; put, linearizable get or serializable get;
// keys "k" + 15 digits (16 bytes, as loadgen's), 100-byte values by default, uniform over the key count.
// Latency percentiles are exact (every request's latency kept and sorted), not bucketed.
//
// Build (GOPATH mode against Debian's golang-etcd-server-dev sources, no module download):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o etcd-load bench/etcd-load/main.go
//
// Output: one line of key=value pairs (ops, ops_per_second, p50_ms, p90_ms, p99_ms, p999_ms, max_ms, errors,
// unmeasured_ops (key fill and warm-up), cpu_seconds, leader) on stdout; progress on stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.etcd.io/etcd/clientv3"
)

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated client endpoints (host:port)")
	conns := flag.Int("conns", 16, "gRPC connections (as tools/benchmark --conns)")
	clients := flag.Int("clients", 256, "client goroutines, one request in flight each (as --clients)")
	op := flag.String("op", "put", "put | get | get-serializable")
	keyCount := flag.Int("key-count", 10000, "keys drawn uniformly from k000000000000000 on")
	valueBytes := flag.Int("value-bytes", 100, "bytes of each value")
	duration := flag.Duration("duration", 10*time.Second, "measured time")
	warmup := flag.Duration("warmup", 3*time.Second, "unmeasured time before it")
	allMembers := flag.Bool("all-members", false, "spread connections over every endpoint instead of the leader's")
	flag.Parse()
	if *conns < 1 || *clients < 1 || *keyCount < 1 || (*op != "put" && *op != "get" && *op != "get-serializable") {
		fmt.Fprintln(os.Stderr, "etcd-load: bad arguments")
		os.Exit(2)
	}
	members := strings.Split(*endpoints, ",")
	targets := members
	leader := ""
	if !*allMembers {
		leader = findLeader(members)
		targets = []string{leader}
	}
	connections := make([]*clientv3.Client, *conns)
	for i := range connections {
		c, err := clientv3.New(clientv3.Config{Endpoints: []string{targets[i%len(targets)]}, DialTimeout: 5 * time.Second})
		if err != nil {
			fmt.Fprintln(os.Stderr, "etcd-load: connect:", err)
			os.Exit(1)
		}
		defer c.Close()
		connections[i] = c
	}
	value := strings.Repeat("v", *valueBytes)
	filled := 0
	if *op != "put" {
		fill(connections[0], *keyCount, value) // reads find every key present
		filled = *keyCount
	}
	start := time.Now()
	measureFrom := start.Add(*warmup)
	stop := measureFrom.Add(*duration)
	latencies := make([][]time.Duration, *clients)
	errors := make([]int, *clients)
	warmupOps := make([]int, *clients)
	var wg sync.WaitGroup
	for i := 0; i < *clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			kv := clientv3.NewKV(connections[i%len(connections)])
			random := rand.New(rand.NewSource(int64(i) + 1))
			own := make([]time.Duration, 0, 1<<14)
			for {
				began := time.Now()
				if !began.Before(stop) {
					break
				}
				key := fmt.Sprintf("k%015d", random.Intn(*keyCount))
				var err error
				switch *op {
				case "put":
					_, err = kv.Put(context.Background(), key, value)
				case "get":
					_, err = kv.Get(context.Background(), key)
				default:
					_, err = kv.Get(context.Background(), key, clientv3.WithSerializable())
				}
				if began.Before(measureFrom) {
					warmupOps[i]++
					continue
				}
				if err != nil {
					errors[i]++
					continue
				}
				own = append(own, time.Since(began))
			}
			latencies[i] = own
		}(i)
	}
	wg.Wait()
	unmeasured := filled
	for _, n := range warmupOps {
		unmeasured += n
	}
	report(latencies, errors, unmeasured, *duration, leader)
}

// findLeader asks every member for its status; the member whose id is the reported leader is the leader.
func findLeader(members []string) string {
	c, err := clientv3.New(clientv3.Config{Endpoints: members, DialTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcd-load: connect:", err)
		os.Exit(1)
	}
	defer c.Close()
	for attempt := 0; attempt < 50; attempt++ {
		for _, m := range members {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			status, err := c.Status(ctx, m)
			cancel()
			if err == nil && status.Leader != 0 && status.Leader == status.Header.MemberId {
				return m
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Fprintln(os.Stderr, "etcd-load: no leader found")
	os.Exit(1)
	return ""
}

func fill(c *clientv3.Client, keyCount int, value string) {
	var wg sync.WaitGroup
	work := make(chan int, 1024)
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				if _, err := c.Put(context.Background(), fmt.Sprintf("k%015d", k), value); err != nil {
					fmt.Fprintln(os.Stderr, "etcd-load: fill:", err)
					os.Exit(1)
				}
			}
		}()
	}
	for k := 0; k < keyCount; k++ {
		work <- k
	}
	close(work)
	wg.Wait()
}

// report prints the measured requests' figures; unmeasured counts the key fill's and the warm-up's requests, which
// the CPU figures also cover.
func report(latencies [][]time.Duration, errors []int, unmeasured int, duration time.Duration, leader string) {
	var all []time.Duration
	failed := 0
	for i, own := range latencies {
		all = append(all, own...)
		failed += errors[i]
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	at := func(q float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(q * float64(len(all)))
		if i >= len(all) {
			i = len(all) - 1
		}
		return float64(all[i]) / 1e6
	}
	var usage syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	cpu := float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e9
	fmt.Printf("ops=%d ops_per_second=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f errors=%d unmeasured_ops=%d cpu_seconds=%.2f leader=%s\n",
		len(all), float64(len(all))/duration.Seconds(), at(0.50), at(0.90), at(0.99), at(0.999), at(1), failed, unmeasured, cpu, leader)
}
