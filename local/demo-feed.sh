#!/usr/bin/env bash
# The loopback stack's stand-in for the GPS feed: every 30 s the 34 active
# vehicles (TRK-001..034) report a position, as the real feed does, so GPS
# coverage stays at 34/40 however long the demo runs; TRK-035..040 stay
# silent. Only fleet_positions is touched, so queue figures stay fixed.
# Usage: demo-feed.sh PG_SOCKET_DIR PG_PORT      (stops on SIGTERM)
set -u
dir=$1
port=$2
trap 'exit 0' TERM INT
while true; do
    sleep 30 &
    wait $!
    psql -X -q -h "$dir" -p "$port" -U postgres -d postgres -c \
        "UPDATE fleet_positions SET updated_at = now() - random() * interval '20 seconds' WHERE vehicle_id <= 'TRK-034'" ||
        echo "demo-feed: update failed (PostgreSQL down?); retrying in 30 s"
done
