#!/usr/bin/env python3
"""An IEC 60870-5-104 outstation for the IEC104 interop tests, made with c104 (which wraps
lib60870-C): an independent implementation to check the Swift master against.

  iec104_test_outstation.py PORT [--tls CERT KEY CA]

With --tls the outstation speaks IEC 104 over TLS (IEC 62351-3) only: its certificate CERT with
key KEY, and it requires a client certificate signed by CA.

Station 47 has these points (the tests expect exactly these values and qualities):
  IOA 11  M_ME_NC_1  12.5             good
  IOA 12  M_SP_NA_1  True             invalid
  IOA 13  M_DP_NA_1  ON               good
  IOA 14  M_ME_NB_1  -300             not topical + substituted
  IOA 15  M_ME_TF_1  -1.5             good, recorded 2026-01-01T00:00:00.250Z
  IOA 20  C_SC_NA_1  (command)        prints "COMMAND 20 <value> <cot>" when received
  IOA 21  C_SC_NA_1  select-before-operate, prints "COMMAND 21 <value> <cot>" on execute
Prints READY when listening. Reads lines from stdin:
  spont IOA VALUE   set the float point IOA to VALUE and send it spontaneously
  clockrefuse       answer every later clock synchronisation with a negative confirmation
Prints CONNECTED / DISCONNECTED for the master's connection, and "CLOCK <seconds since 1970>"
for each clock synchronisation command (C_CS_NA_1) received.
"""
import datetime
import sys

import c104


def main() -> None:
    port = int(sys.argv[1])
    security = None
    if len(sys.argv) == 6 and sys.argv[2] == "--tls":
        security = c104.TransportSecurity(validate=True, only_known=False)
        security.set_certificate(cert=sys.argv[3], key=sys.argv[4])
        security.set_ca_certificate(cert=sys.argv[5])
    server = c104.Server(ip="127.0.0.1", port=port, tick_rate_ms=50, select_timeout_ms=5000, max_connections=1,
                         transport_security=security)
    station = server.add_station(common_address=47)
    measured = station.add_point(io_address=11, type=c104.Type.M_ME_NC_1)
    measured.value = 12.5
    single = station.add_point(io_address=12, type=c104.Type.M_SP_NA_1)
    single.value = True
    single.quality = c104.Quality.Invalid
    double = station.add_point(io_address=13, type=c104.Type.M_DP_NA_1)
    double.value = c104.Double.ON
    scaled = station.add_point(io_address=14, type=c104.Type.M_ME_NB_1)
    scaled.value = c104.Int16(-300)
    scaled.quality = c104.Quality.NonTopical | c104.Quality.Substituted
    timed = station.add_point(io_address=15, type=c104.Type.M_ME_TF_1)
    timed.info = c104.ShortInfo(actual=-1.5, recorded_at=datetime.datetime(2026, 1, 1, 0, 0, 0, 250000, tzinfo=datetime.timezone.utc))
    command = station.add_point(io_address=20, type=c104.Type.C_SC_NA_1)

    def on_command(point: c104.Point, previous_info: c104.Information, message: c104.IncomingMessage) -> c104.ResponseState:
        print(f"COMMAND {point.io_address} {point.value} {message.cot.name}", flush=True)
        return c104.ResponseState.SUCCESS

    command.on_receive(callable=on_command)
    selected = station.add_point(io_address=21, type=c104.Type.C_SC_NA_1, command_mode=c104.CommandMode.SELECT_AND_EXECUTE)
    selected.on_receive(callable=on_command)

    def on_connect(server: c104.Server, ip: str) -> bool:
        print("CONNECTED", flush=True)
        return True

    server.on_connect(callable=on_connect)

    refuse_clock = [False]

    def on_clock_sync(server: c104.Server, ip: str, date_time: datetime.datetime) -> c104.ResponseState:
        print(f"CLOCK {date_time.timestamp():.3f}", flush=True)
        return c104.ResponseState.FAILURE if refuse_clock[0] else c104.ResponseState.SUCCESS

    server.on_clock_sync(callable=on_clock_sync)
    server.start()
    print("READY", flush=True)
    for line in sys.stdin:
        words = line.split()
        if len(words) == 3 and words[0] == "spont":
            point = station.get_point(io_address=int(words[1]))
            point.value = float(words[2])
            point.transmit(cause=c104.Cot.SPONTANEOUS)
            print(f"SENT {words[1]}", flush=True)
        elif words == ["clockrefuse"]:
            refuse_clock[0] = True
            print("REFUSING", flush=True)
    server.stop()


if __name__ == "__main__":
    main()
