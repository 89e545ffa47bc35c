#!/usr/bin/env bash
# Two ranks of mlp-bench-mpi in two network namespaces joined by a veth pair, over Open MPI's
# TCP transport, the link unshaped and then limited to each RATE (tc; tbf, since this
# machine's kernel has no netem for added latency; NETEM="delay 100us" adds it where netem
# exists). Everything is set up here and torn down on exit; no traffic leaves the two
# namespaces. Needs root and iproute2.
#
#   bench/mpi_netns.sh BUILD_DIR [WINDOWS] [RATE...]     e.g. bench/mpi_netns.sh build 3 10gbit 1gbit
#
# mpirun runs in the first namespace; it starts rank 1 in the second through a launcher
# agent (plm_rsh_agent) that runs the command there instead of over ssh.
set -eu
BUILD=$(cd "${1:?usage: mpi_netns.sh BUILD_DIR [WINDOWS] [RATE...]}" && pwd)
WINDOWS=${2:-3}
shift $(( $# >= 2 ? 2 : 1 ))
RATES=("$@")
[ ${#RATES[@]} = 0 ] && RATES=(10gbit 1gbit)
BENCH=$BUILD/bench/mlp-bench-mpi
[ -x "$BENCH" ] || { echo "mpi_netns.sh: no $BENCH (meson setup -Dbench=true)" >&2; exit 1; }
NS=(mlpmpi0 mlpmpi1)
IP=(10.77.0.1 10.77.0.2)
T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-netns.XXXXXX")
cleanup() {
    for n in "${NS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT

for i in 0 1; do ip netns add "${NS[$i]}"; done
ip link add mlpv0 netns "${NS[0]}" type veth peer name mlpv1 netns "${NS[1]}"
for i in 0 1; do
    ip -n "${NS[$i]}" addr add "${IP[$i]}/24" dev "mlpv$i"
    ip -n "${NS[$i]}" link set lo up
    ip -n "${NS[$i]}" link set "mlpv$i" up
done

cat >"$T/agent" <<AGENT
#!/bin/sh
# called as: agent HOST COMMAND...: the command runs in that host's namespace
host=\$1; shift
case \$host in ${IP[0]}) ns=${NS[0]} ;; ${IP[1]}) ns=${NS[1]} ;; *) exit 1 ;; esac
exec ip netns exec "\$ns" /bin/sh -c "\$*"
AGENT
chmod +x "$T/agent"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512}
run() {
    echo "=== link: $1 (load $(cut -d' ' -f1-3 /proc/loadavg))"
    timeout 1200 ip netns exec "${NS[0]}" mpirun --host "${IP[0]},${IP[1]}" -np 2 \
        --mca plm_rsh_agent "$T/agent" --mca plm_rsh_no_tree_spawn 1 \
        --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 \
        --mca oob_tcp_if_include 10.77.0.0/24 "$BENCH" "$WINDOWS" </dev/null
}
run "veth, unshaped"
for rate in "${RATES[@]}"; do
    for i in 0 1; do
        if [ -n "${NETEM:-}" ]; then
            ip netns exec "${NS[$i]}" tc qdisc replace dev "mlpv$i" root netem rate "$rate" $NETEM
        else
            ip netns exec "${NS[$i]}" tc qdisc replace dev "mlpv$i" root tbf rate "$rate" \
                burst 1mb latency 100ms
        fi
    done
    run "veth, $rate each way${NETEM:+, $NETEM}"
done
