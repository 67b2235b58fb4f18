package org.pgha.driver.patroni;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What Patroni's {@code GET /cluster} says about a cluster: its members as the DCS lists them,
 * whether Patroni is paused, and a scheduled switchover. This is Patroni's view, not the
 * servers': a crashed leader stays listed as {@code leader}/{@code running} until its lease
 * runs out, so pgha uses it to learn addresses and intentions, and still asks every server
 * what it is.
 *
 * @param members the members, in the answer's order
 * @param paused {@code "pause": true}: Patroni does not fail over or manage the servers
 * @param scheduledSwitchover a switchover Patroni will run at a set time, if any
 */
public record PatroniView(List<Member> members, boolean paused, Optional<ScheduledSwitchover> scheduledSwitchover) {

    public PatroniView {
        members = List.copyOf(members);
        Objects.requireNonNull(scheduledSwitchover, "scheduledSwitchover");
    }

    /**
     * One member.
     *
     * @param name Patroni's member name (also the server's {@code application_name} as a standby)
     * @param host the PostgreSQL host the member publishes
     * @param port its PostgreSQL port
     * @param role {@code leader}, {@code standby_leader}, {@code sync_standby}, {@code replica}, ... (lower case)
     * @param state {@code running}, {@code streaming}, {@code starting}, {@code stopping}, {@code stopped}, ... (lower case)
     * @param timeline the timeline Patroni last published, if any
     * @param lagBytes the replay lag Patroni last published, in bytes; empty for a leader or {@code "unknown"}
     * @param noLoadBalance the {@code noloadbalance} tag: the operator keeps read traffic off it
     * @param noFailover the {@code nofailover} tag: Patroni never promotes it
     */
    public record Member(String name, String host, int port, String role, String state, OptionalInt timeline,
                         OptionalLong lagBytes, boolean noLoadBalance, boolean noFailover) {

        public Member {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(state, "state");
        }

        /** {@code host:port}. */
        public String address() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }

        /** Patroni lists it as its leader (of a primary cluster). */
        public boolean isLeader() {
            return role.equals("leader") || role.equals("master") || role.equals("primary");
        }

        /** Patroni lists it as a synchronous standby. */
        public boolean isSyncStandby() {
            return role.equals("sync_standby");
        }

        /** Its server is on its way down (stopping, restarting) or not serving: send it no new work. */
        public boolean isLeaving() {
            return switch (state) {
                case "running", "streaming" -> false;
                default -> true;
            };
        }
    }

    /** A switchover Patroni will run at {@code at} (ISO 8601, as Patroni publishes it), from one member to another. */
    public record ScheduledSwitchover(String at, Optional<String> from, Optional<String> to) {
    }

    /** Whether Patroni lists a leader (of a primary or a standby cluster). */
    public boolean hasLeader() {
        return members.stream().anyMatch(m -> m.isLeader() || m.role().equals("standby_leader"));
    }

    /**
     * Reads a {@code GET /cluster} body.
     *
     * @throws IllegalArgumentException if it is not JSON, or not shaped as Patroni's answer (a
     *     {@code members} array of objects with a name, host and port); the message names the
     *     field
     */
    public static PatroniView parse(String body) {
        Object document = Json.parse(body);
        if (!(document instanceof Map<?, ?> root)) {
            throw new IllegalArgumentException("Patroni's /cluster answer is not a JSON object");
        }
        Object listed = root.get("members");
        if (!(listed instanceof List<?> array)) {
            throw new IllegalArgumentException("Patroni's /cluster answer has no \"members\" array");
        }
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            if (!(array.get(i) instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("members[" + i + "] of Patroni's /cluster answer is not an object");
            }
            members.add(member(m, "members[" + i + "]"));
        }
        Optional<ScheduledSwitchover> scheduled = Optional.empty();
        if (root.get("scheduled_switchover") instanceof Map<?, ?> s && s.get("at") instanceof String at) {
            scheduled = Optional.of(new ScheduledSwitchover(at, optionalString(s, "from"), optionalString(s, "to")));
        }
        return new PatroniView(members, Boolean.TRUE.equals(root.get("pause")), scheduled);
    }

    private static Member member(Map<?, ?> m, String where) {
        String name = requiredString(m, "name", where);
        String host = requiredString(m, "host", where);
        Object port = m.get("port");
        if (!(port instanceof Long p) || p < 1 || p > 65_535) {
            throw new IllegalArgumentException(where + ".port of Patroni's /cluster answer is not a port number: " + port);
        }
        String role = optionalString(m, "role").orElse("unknown").toLowerCase(Locale.ROOT);
        String state = optionalString(m, "state").orElse("unknown").toLowerCase(Locale.ROOT);
        OptionalInt timeline = m.get("timeline") instanceof Long t && t > 0 && t <= Integer.MAX_VALUE
                ? OptionalInt.of(t.intValue()) : OptionalInt.empty();
        OptionalLong lag = m.get("lag") instanceof Long l && l >= 0 ? OptionalLong.of(l) : OptionalLong.empty();
        boolean noLoadBalance = false;
        boolean noFailover = false;
        if (m.get("tags") instanceof Map<?, ?> tags) {
            noLoadBalance = truthy(tags.get("noloadbalance"));
            noFailover = truthy(tags.get("nofailover"));
        }
        return new Member(name, host, p.intValue(), role, state, timeline, lag, noLoadBalance, noFailover);
    }

    /** Patroni takes {@code true}, and strings such as {@code "true"}, {@code "on"} or {@code "yes"}, as true. */
    private static boolean truthy(Object value) {
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "true", "on", "yes", "1" -> true;
                default -> false;
            };
        }
        return false;
    }

    private static String requiredString(Map<?, ?> m, String field, String where) {
        if (!(m.get(field) instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException(where + "." + field + " of Patroni's /cluster answer is missing or not a string");
        }
        return s;
    }

    private static Optional<String> optionalString(Map<?, ?> m, String field) {
        return m.get(field) instanceof String s ? Optional.of(s) : Optional.empty();
    }
}
