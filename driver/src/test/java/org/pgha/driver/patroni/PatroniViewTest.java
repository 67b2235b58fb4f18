package org.pgha.driver.patroni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** {@code GET /cluster} answers captured from a real Patroni 3.0.2 + etcd cluster. */
class PatroniViewTest {

    static String answer(String name) throws IOException {
        try (InputStream in = PatroniViewTest.class.getResourceAsStream("/patroni/" + name + ".json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aHealthyClusterListsItsLeaderAndStandbysWithAddressesRolesTimelinesAndLag() throws IOException {
        PatroniView view = PatroniView.parse(answer("default-async-replica-lagging"));
        assertThat(view.paused()).isFalse();
        assertThat(view.scheduledSwitchover()).isEmpty();
        assertThat(view.members()).extracting(PatroniView.Member::name).containsExactly("node1", "node2", "node3");
        PatroniView.Member lagging = view.members().get(0);
        assertThat(lagging.address()).isEqualTo("127.0.0.1:26432");
        assertThat(lagging.role()).isEqualTo("replica");
        assertThat(lagging.timeline()).isEqualTo(OptionalInt.of(8));
        assertThat(lagging.lagBytes()).isEqualTo(OptionalLong.of(38_116_040));
        assertThat(view.members().get(1).isLeader()).isTrue();
        assertThat(view.members().get(1).lagBytes()).isEmpty();
        assertThat(view.members().get(2).isSyncStandby()).isTrue();
        assertThat(view.members()).noneMatch(PatroniView.Member::isLeaving);
    }

    @Test
    void duringAFailoverTheDeadLeaderIsListedAsRunningThenGoneAndTheTimelineMayBeMissing() throws IOException {
        PatroniView before = PatroniView.parse(answer("kill_1_before_and_until_ttl_expiry"));
        assertThat(before.members().get(0).isLeader()).as("a crashed leader until its lease runs out").isTrue();
        assertThat(before.members().get(0).isLeaving()).isFalse();
        assertThat(PatroniView.parse(answer("kill_2_after_ttl_expiry_no_leader")).members())
                .noneMatch(PatroniView.Member::isLeader).extracting(PatroniView.Member::name).containsExactly("node2", "node3");
        PatroniView switching = PatroniView.parse(answer("switchover_before_leader_without_timeline"));
        assertThat(switching.members().get(0).isLeader()).isTrue();
        assertThat(switching.members().get(0).timeline()).isEmpty();
    }

    @Test
    void aMemberStoppingOrStartingDuringASwitchoverIsLeavingWithItsLagUnknown() throws IOException {
        PatroniView.Member stopping = PatroniView.parse(answer("switchover_old_leader_stopping")).members().get(0);
        assertThat(stopping.state()).isEqualTo("stopping");
        assertThat(stopping.isLeaving()).isTrue();
        assertThat(stopping.lagBytes()).as("\"lag\": \"unknown\"").isEmpty();
        assertThat(PatroniView.parse(answer("switchover_old_leader_restarting_as_replica")).members().get(0).isLeaving())
                .isTrue();
    }

    @Test
    void pauseScheduledSwitchoverAndTagsAreRead() {
        PatroniView view = PatroniView.parse("{\"members\": [{\"name\": \"a\", \"host\": \"::1\", \"port\": 5432,"
                + " \"role\": \"Leader\", \"state\": \"running\", \"tags\": {\"noloadbalance\": true, \"nofailover\": \"on\"}}],"
                + " \"pause\": true, \"scheduled_switchover\": {\"at\": \"2026-12-07T12:00:00+00:00\", \"from\": \"a\"}}");
        assertThat(view.paused()).isTrue();
        assertThat(view.scheduledSwitchover()).hasValueSatisfying(s -> {
            assertThat(s.at()).isEqualTo("2026-12-07T12:00:00+00:00");
            assertThat(s.from()).hasValue("a");
            assertThat(s.to()).isEmpty();
        });
        PatroniView.Member member = view.members().get(0);
        assertThat(member.address()).isEqualTo("[::1]:5432");
        assertThat(member.isLeader()).as("role compared in lower case").isTrue();
        assertThat(member.noLoadBalance()).isTrue();
        assertThat(member.noFailover()).isTrue();
    }

    @Test
    void anAnswerNotShapedAsPatronisNamesTheField() {
        assertThatThrownBy(() -> PatroniView.parse("[]")).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> PatroniView.parse("{}")).hasMessageContaining("no \"members\" array");
        assertThatThrownBy(() -> PatroniView.parse("{\"members\": [1]}")).hasMessageContaining("members[0]");
        assertThatThrownBy(() -> PatroniView.parse("{\"members\": [{\"name\": \"a\", \"host\": \"h\", \"port\": 70000}]}"))
                .hasMessageContaining("members[0].port");
        assertThatThrownBy(() -> PatroniView.parse("{\"members\": [{\"name\": \"a\", \"port\": 5432}]}"))
                .hasMessageContaining("members[0].host");
    }

    @Test
    void theDynamicConfigurationTellsWhetherAFailoverCanLoseAcknowledgedCommits() throws IOException {
        assertThat(PatroniSettings.parse(answer("default-idle-config"))).as("the lab cluster's /config")
                .isEqualTo(new PatroniSettings(true, false));
        assertThat(PatroniSettings.parse("{\"ttl\": 30, \"synchronous_mode\": true, \"synchronous_mode_strict\": false}"))
                .isEqualTo(new PatroniSettings(true, false))
                .satisfies(s -> assertThat(s.dataLossRisk()).contains("synchronous_mode_strict is off"));
        assertThat(PatroniSettings.parse("{}").dataLossRisk()).contains("synchronous_mode is off");
        assertThat(PatroniSettings.parse("{\"synchronous_mode\": \"true\", \"synchronous_mode_strict\": true}")
                .dataLossRisk()).isNull();
        assertThatThrownBy(() -> PatroniSettings.parse("[]")).hasMessageContaining("not a JSON object");
    }
}
