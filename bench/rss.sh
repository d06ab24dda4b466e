#!/usr/bin/env bash
# rss.sh [SIZES] — where the peak memory of `imgtrust lint` and of `anchor`
# (containers/image's parser) goes, on the policies gen writes (SIZES
# defaults to "1000 10000 100000") and for `imgtrust --version` and the
# anchor on a one-line policy (what the binaries cost before any work).
# For each command:
#   - peak RSS (VmHWM) and its split at exit into file-backed memory
#     (RssFile: the binary's pages read from the page cache) and anonymous
#     memory (RssAnon: heap, stacks, written data and bss), read from
#     /proc/PID/status and smaps while the process is held at its
#     exit_group (strace -e inject=exit_group:delay_enter); the file-backed
#     part is split further by the binary's segments (text, read-only data,
#     data). File pages are never dropped in a run this short, so the
#     anonymous part at the peak is VmHWM - RssFile, or very close to it.
#     Median of RUNS runs (environment, default 3) of each figure.
#   - page faults per ELF section of the binary (perf record -e page-faults
#     -d: the faulting address, mapped onto readelf -S), the rest being
#     anonymous memory outside the binary (heap arenas, stacks); a fault on
#     a file-backed page maps up to 16 pages around it (fault-around, 64 KB),
#     an anonymous fault one page (4 KB). Each fault is also counted for the
#     package whose init function was running (the innermost *.init* frame
#     of its call chain, perf -g): the top packages for .text and for all
#     sections.
#   - for the two one-shot baselines, the heap that package inits allocate
#     (GODEBUG=inittrace=1), top packages.
# Nothing of this is in either binary. Set IMGTRUST to measure a given
# imgtrust binary instead of building the tree's.
set -euo pipefail
SIZES=${1:-1000 10000 100000}
RUNS=${RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_WORK:-$(mktemp -d)}
data=${BENCH_DATA:-$work/data}
mkdir -p "$work"
TAGS="containers_image_openpgp containers_image_storage_stub containers_image_docker_daemon_stub exclude_graphdriver_btrfs exclude_graphdriver_devicemapper"
for tool in perf strace readelf; do
	command -v "$tool" >/dev/null || { echo "rss.sh: $tool is missing (apt-get install linux-perf strace binutils)" >&2; exit 2; }
done
cd "$here"
if [ -n "${IMGTRUST:-}" ]; then
	cp "$IMGTRUST" "$work/imgtrust"
else
	(cd .. && CGO_ENABLED=0 go build -o "$work/imgtrust" .)
fi
CGO_ENABLED=0 go build -tags "$TAGS" -o "$work/anchor" ./anchor
for n in $SIZES; do
	[ -d "$data/$n" ] || go run ./gen -out "$data" -sizes "$n"
done
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/one.json"

# held CMD...: one run of CMD, held at its exit_group while its memory is
# read; prints "hwm_kb file_kb anon_kb text_kb rodata_kb data_kb" (the
# last three: Rss of the binary's r-xp, r--p and file-backed rw-p maps).
held() {
	local bin=$1 sp pid tries
	for tries in 1 2 3; do
		strace -f -qq --seccomp-bpf -e trace=exit_group -e inject=exit_group:delay_enter=2000000 \
			-o /dev/null "$@" >/dev/null 2>&1 &
		sp=$!
		pid=
		while [ -z "$pid" ] && kill -0 "$sp" 2>/dev/null; do
			pid=$(ps -o pid= --ppid "$sp" 2>/dev/null | head -1 | tr -d ' ' || true)
		done
		# syscall 231 is exit_group on x86-64; any thread may make it.
		while [ -n "$pid" ] && [ -d "/proc/$pid" ]; do
			for f in /proc/"$pid"/task/*/syscall; do
				if read -r nr _ <"$f" 2>/dev/null && [ "$nr" = 231 ] &&
					awk -v bin="$(readlink -f "$bin")" '
						/^VmHWM:/ {h=$2} /^RssFile:/ {f=$2} /^RssAnon:/ {a=$2}
						/^[0-9a-f]+-[0-9a-f]+ / {m=($6==bin) ? $2 : ""}
						/^Rss:/ && m=="r-xp" {t+=$2} /^Rss:/ && m=="r--p" {r+=$2} /^Rss:/ && m=="rw-p" {d+=$2}
						END {print h, f, a, t+0, r+0, d+0}' "/proc/$pid/status" "/proc/$pid/smaps" 2>/dev/null; then
					wait "$sp" || true
					return
				fi
			done
		done
		wait "$sp" || true
	done
	echo "rss.sh: could not hold $*" >&2
	echo 0 0 0 0 0 0
}

# memory CMD...: the median of RUNS held runs, column by column.
memory() {
	local i
	for i in $(seq "$RUNS"); do held "$@"; done >"$work/held.txt"
	for i in 1 2 3 4 5 6; do
		cut -d' ' -f"$i" "$work/held.txt" | sort -n | awk '{a[NR]=$1} END {printf "%s ", a[int((NR+1)/2)]}'
	done
	echo
}

# sections BIN: "name start size" of the sections loaded in memory.
sections() {
	readelf -SW "$1" | sed -n 's/^ *\[ *[0-9]*\] //p' | awk '$3 ~ /^0*[1-9a-f]/ {print $1, $3, $5}'
}

# faults CMD...: the faults per section and per running init.
faults() {
	perf record -q -e page-faults -c 1 -d -g -o "$work/pf.data" "$@" >/dev/null 2>&1 || true
	sections "$1" >"$work/sections.txt"
	perf script -i "$work/pf.data" -F addr,ip,sym 2>/dev/null | perl -e '
		open my $s, "<", $ARGV[0] or die; my @sec;
		while (<$s>) { my ($n, $a, $z) = split; push @sec, [$n, hex $a, hex $z]; }
		sub section { my $a = shift; for (@sec) { return $_->[0] if $a >= $_->[1] && $a < $_->[1] + $_->[2] } "anonymous (heap, stacks)" }
		my (%n, %ininit, %textinit, %allinit, $cur, $init, $total);
		sub flush {
			return unless defined $cur;
			my $p = defined $init ? $init : "(no init running)";
			$n{$cur}++; $ininit{$cur}++ if defined $init; $allinit{$p}++; $textinit{$p}++ if $cur eq ".text"; $total++;
			undef $cur; undef $init;
		}
		while (<STDIN>) {
			if (/^ +([0-9a-f]+)/) { flush(); $cur = section(hex $1); next }
			next if defined $init || !/^\t\s*[0-9a-f]+ (\S+)/;
			my $f = $1;
			if ($f =~ /^([^(]+?)\.(?:map\.)?init(?:\.|$)/) { ($init = $1) =~ s/%2e/./g }
		}
		flush();
		printf "  %-26s %7s %9s\n", "section", "faults", "in inits";
		for (sort { $n{$b} <=> $n{$a} } keys %n) { printf "  %-26s %7d %9d\n", $_, $n{$_}, $ininit{$_} // 0 }
		printf "  %-26s %7d\n", "total", $total;
		for ([".text", \%textinit], ["all sections", \%allinit]) {
			my ($what, $h) = @$_; my @k = sort { $h->{$b} <=> $h->{$a} } keys %$h;
			my $pk = grep { $_ ne "(no init running)" } @k;
			print "  faults on $what by the package whose init was running ($pk packages; top 8):\n";
			printf "    %6d %s\n", $h->{$_}, $_ for @k[0 .. ($#k < 7 ? $#k : 7)];
		}' "$work/sections.txt"
}

# inits CMD...: heap allocated by package inits, total and top packages.
inits() {
	GODEBUG=inittrace=1 "$@" 2>&1 >/dev/null | awk '$1 == "init" {
			b[$2] = $8 / 1024; t += $8 / 1024 }
		END { printf "  init heap: %.0f KB in all; top:", t
			n = 0; for (k in b) order[++n] = k
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (b[order[j]] > b[order[i]]) { x = order[i]; order[i] = order[j]; order[j] = x }
			for (i = 1; i <= n && i <= 6; i++) printf " %s %.0f KB%s", order[i], b[order[i]], (i < 6 && i < n) ? "," : ""
			print "" }'
}

report() { # LABEL CMD...
	local label=$1
	shift
	read -r h f a t r d < <(memory "$@")
	awk -v l="$label" -v h="$h" -v f="$f" -v a="$a" -v t="$t" -v r="$r" -v d="$d" 'BEGIN {
		printf "%-28s peak %6.1f MB = file %5.1f (text %.1f, rodata+pclntab %.1f, data %.1f) + anon %6.1f (at exit %.1f)\n",
			l, h/1024, f/1024, t/1024, r/1024, d/1024, (h-f)/1024, a/1024 }'
	[ "${NOFAULTS:-}" ] || faults "$@"
}

echo "== peak RSS (median of $RUNS runs) and page faults (one run)"
report "imgtrust --version" "$work/imgtrust" --version
inits "$work/imgtrust" --version
report "anchor (one-line policy)" "$work/anchor" "$work/one.json"
inits "$work/anchor" "$work/one.json"
for n in $SIZES; do
	report "imgtrust lint $n" "$work/imgtrust" lint --root "$data/$n" --mechanism openpgp-gocrypto
	report "anchor $n" "$work/anchor" "$data/$n/etc/containers/policy.json"
done
