/*
 * lwipopts.h — lwIP for one TLS client connection on a 64 KB board.
 *
 * NO_SYS=1 superloop (raw API only, no threads), IPv4, DHCP or a static
 * address, DNS (or an IP literal), one TCP connection. All memory is
 * static: lwIP's own heap (MEM_SIZE, for outgoing segments) and its pools;
 * nothing comes from a C library allocator. Each pool's RAM is noted; the
 * board README has the measured totals.
 */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

/* ---- system ---- */
#define NO_SYS                  1
#define LWIP_TIMERS             1
#define SYS_LIGHTWEIGHT_PROT    0   /* nothing touches lwIP from interrupts */
#define LWIP_NETCONN            0
#define LWIP_SOCKET             0
#define LWIP_STATS              0
#define LWIP_NETIF_API          0
#define LWIP_RAW                0
#define LWIP_IPV6               0
#define LWIP_IGMP               0
#define LWIP_AUTOIP             0
#define LWIP_NETIF_HOSTNAME     0
#define LWIP_SINGLE_NETIF       1

/* ---- memory: static, never from malloc ---- */
#define MEM_LIBC_MALLOC         0
#define MEMP_MEM_MALLOC         0
#define MEM_USE_POOLS           0
#define MEM_ALIGNMENT           4
/* lwIP's heap holds outgoing TCP data (copied out of the TLS output
 * buffer) until acknowledged: TCP_SND_BUF plus headers. */
#define MEM_SIZE                (TCP_SND_BUF + 1024)

/* Incoming frames land in pool buffers; 6 x 1516 B. TCP data stays in them
 * only until the TLS engine takes it (usually at once). */
#define PBUF_POOL_SIZE          6
#define ETH_PAD_SIZE            2   /* IP header word-aligned; on the
                                     * Stellaris FIFO the pad is exactly
                                     * where the frame length goes */
#define MEMP_NUM_PBUF           4   /* ROM/REF pbufs: few, data is copied */
#define MEMP_NUM_UDP_PCB        2   /* DHCP, DNS */
#define MEMP_NUM_TCP_PCB        1   /* the one submission */
#define MEMP_NUM_TCP_PCB_LISTEN 0
#define MEMP_NUM_TCP_SEG        TCP_SND_QUEUELEN
#define MEMP_NUM_REASSDATA      0
#define MEMP_NUM_FRAG_PBUF      0
#define MEMP_NUM_ARP_QUEUE      4
#define ARP_TABLE_SIZE          4
#define ARP_QUEUEING            1

/* ---- IP ---- */
#define IP_REASSEMBLY           0   /* TCP with MSS never needs it */
#define IP_FRAG                 0
#define LWIP_ICMP               1   /* answer pings: useful when debugging */
#define LWIP_DHCP               1
#define DHCP_DOES_ARP_CHECK     0   /* saves ~1 s at boot */
#define LWIP_UDP                1
#define LWIP_DNS                1
#define DNS_TABLE_SIZE          1
#define DNS_MAX_NAME_LENGTH     128
#define DNS_MAX_SERVERS         2

/* ---- TCP ---- */
#define LWIP_TCP                1
#define TCP_MSS                 1460
#define TCP_WND                 (3 * TCP_MSS)
#define TCP_SND_BUF             (2 * TCP_MSS)
#define TCP_SND_QUEUELEN        ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_QUEUE_OOSEQ         0   /* out-of-order segments are dropped and
                                     * resent by the peer: no pool pinned */
#define LWIP_TCP_KEEPALIVE      0
#define LWIP_RANDOMIZE_INITIAL_LOCAL_PORTS 1
/* Initial sequence numbers from the port's DRBG (RFC 6528's concern:
 * predictable ISNs let an off-path attacker inject segments). */
#define LWIP_HOOK_TCP_ISN(lip, lport, rip, rport) pm_lwip_rand()

/* ---- checksums: in software (the Stellaris MAC does none) ---- */
#define CHECKSUM_GEN_IP         1
#define CHECKSUM_GEN_TCP        1
#define CHECKSUM_GEN_UDP        1
#define CHECKSUM_CHECK_IP       1
#define CHECKSUM_CHECK_TCP      1
#define CHECKSUM_CHECK_UDP      1

/* ---- netif ---- */
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK   0
#define LWIP_ETHERNET           1
#define LWIP_ARP                1

#endif /* LWIPOPTS_H */
