package org.pgha.testkit.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Free TCP ports on 127.0.0.1 for the servers a test cluster starts. */
public final class Ports {

    private Ports() {
    }

    /**
     * {@code count} distinct ports free now, none of them in {@code handedOut} (ports given
     * earlier, perhaps not listened on yet), which this adds them to. Every socket stays open
     * until all are chosen, so no two are the same.
     */
    public static int[] free(int count, Set<Integer> handedOut) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(s);
                if (!handedOut.add(s.getLocalPort())) {
                    i--; // held open, so the next one differs
                    continue;
                }
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find free ports on 127.0.0.1", e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // the port is free either way
                }
            }
        }
    }
}
