// SPDX-License-Identifier: GPL-2.0
/*
 * The run time of one BPF program, invocation by invocation: an fentry and
 * an fexit on the program itself (user space sets the target before load).
 * The longest single run and the number of runs stay in .bss.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAX_CPUS 64

__u64 start_ns[MAX_CPUS];
__u64 max_ns;
__u64 runs;
__u64 total_ns;

SEC("fentry/placeholder")
int BPF_PROG(enter)
{
	__u32 cpu = bpf_get_smp_processor_id();

	if (cpu < MAX_CPUS)
		start_ns[cpu] = bpf_ktime_get_ns();
	return 0;
}

SEC("fexit/placeholder")
int BPF_PROG(leave)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 d;

	if (cpu >= MAX_CPUS || !start_ns[cpu])
		return 0;
	d = bpf_ktime_get_ns() - start_ns[cpu];
	start_ns[cpu] = 0;
	__sync_fetch_and_add(&runs, 1);
	__sync_fetch_and_add(&total_ns, d);
	if (d > max_ns)
		max_ns = d;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
