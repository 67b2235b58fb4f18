package org.pgha.samples.demo;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Draws the demo's requests per second by kind, failed requests, and the failovers, as a PNG. */
final class DemoChart {

    private static final int WIDTH = 1200;
    private static final int HEIGHT = 540;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 80;
    private static final int BOTTOM = 70;
    private static final Color[] KIND_COLORS = {new Color(0x1f77b4), new Color(0x2ca02c), new Color(0x9467bd)};
    private static final Color ERRORS = new Color(0xd62728);

    private DemoChart() {
    }

    static void write(DemoResult result, Path file) throws IOException {
        DemoLoad load = result.load;
        double seconds = load.seconds(result.endedNanos);
        // Whole buckets only: the last one was cut short when the load stopped.
        int buckets = Math.max(1, (int) (seconds * 1000 / DemoLoad.BUCKET_MILLIS));
        double perSecond = 1000.0 / DemoLoad.BUCKET_MILLIS;
        long[][] ok = new long[DemoLoad.Kind.values().length][];
        long[] failed = new long[buckets];
        double top = 1;
        for (DemoLoad.Kind kind : DemoLoad.Kind.values()) {
            ok[kind.ordinal()] = load.perBucket(kind, true, buckets);
            long[] f = load.perBucket(kind, false, buckets);
            for (int i = 0; i < buckets; i++) {
                top = Math.max(top, ok[kind.ordinal()][i] * perSecond);
                failed[i] += f[i];
            }
        }
        top = niceCeiling(top * 1.1);

        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        double shown = buckets * DemoLoad.BUCKET_MILLIS / 1000.0;
        Scale x = v -> LEFT + v / shown * plotWidth;
        double yTop = top;
        Scale y = v -> TOP + plotHeight - v / yTop * plotHeight;

        // Title and outcome.
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        g.drawString("pgha failover demo: the EHR sample on a primary, a synchronous and an asynchronous standby", LEFT, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString(String.format("%d requests failed; ledger: %d lost, %d duplicated; %d chart reads staler than %d ms;"
                        + " chart reads paused at most %.2f s around a failover",
                result.failedRequests(),
                result.registrations.lost().size() + result.labResults.lost().size(),
                result.registrations.duplicated().size() + result.labResults.duplicated().size(),
                result.staleness.staleReads().size(), result.staleness.bound().toMillis(),
                result.longestReadGapSeconds()), LEFT, 52);

        // Grid and axes.
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 5; i++) {
            double v = top * i / 5;
            int py = (int) y.at(v);
            g.setColor(new Color(0xe5e5e5));
            g.drawLine(LEFT, py, LEFT + plotWidth, py);
            g.setColor(Color.DARK_GRAY);
            String label = String.format("%.0f", v);
            g.drawString(label, LEFT - 8 - g.getFontMetrics().stringWidth(label), py + 4);
        }
        int step = shown > 60 ? 10 : 5;
        for (int s = 0; s <= shown; s += step) {
            int px = (int) x.at(s);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(px, TOP + plotHeight, px, TOP + plotHeight + 5);
            String label = s + " s";
            g.drawString(label, px - g.getFontMetrics().stringWidth(label) / 2, TOP + plotHeight + 20);
        }
        g.drawLine(LEFT, TOP, LEFT, TOP + plotHeight);
        g.drawLine(LEFT, TOP + plotHeight, LEFT + plotWidth, TOP + plotHeight);
        g.drawString("requests per second", 10, TOP - 12);

        // The cluster's events.
        Font eventFont = new Font(Font.SANS_SERIF, Font.BOLD, 12);
        g.setFont(eventFont);
        int row = 0;
        for (DemoResult.Event e : result.events) {
            int px = (int) x.at(load.seconds(e.nanos()));
            Color color = switch (e.type()) {
                case FAULT -> ERRORS;
                case PROMOTION -> new Color(0x2ca02c);
                case REPOINT, REJOIN -> Color.GRAY;
            };
            g.setColor(color);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
            g.drawLine(px, TOP, px, TOP + plotHeight);
            g.setStroke(new BasicStroke(1));
            g.drawString(e.label(), px + 4, TOP + 14 + 16 * (row++ % 3));
        }

        // Failed requests as bars, then each kind's successful requests as a line.
        g.setColor(ERRORS);
        double bucketWidth = (double) plotWidth / buckets;
        for (int i = 0; i < buckets; i++) {
            if (failed[i] > 0) {
                int py = (int) y.at(failed[i] * perSecond);
                g.fillRect((int) (LEFT + i * bucketWidth), py, Math.max(2, (int) bucketWidth), TOP + plotHeight - py);
            }
        }
        g.setStroke(new BasicStroke(2f));
        for (DemoLoad.Kind kind : DemoLoad.Kind.values()) {
            Path2D.Double line = new Path2D.Double();
            long[] counts = ok[kind.ordinal()];
            for (int i = 0; i < buckets; i++) {
                double px = x.at((i + 0.5) * DemoLoad.BUCKET_MILLIS / 1000.0);
                double py = y.at(counts[i] * perSecond);
                if (i == 0) {
                    line.moveTo(px, py);
                } else {
                    line.lineTo(px, py);
                }
            }
            g.setColor(KIND_COLORS[kind.ordinal()]);
            g.draw(line);
        }

        // Legend.
        g.setStroke(new BasicStroke(1));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        int lx = LEFT;
        int ly = HEIGHT - 22;
        for (DemoLoad.Kind kind : DemoLoad.Kind.values()) {
            g.setColor(KIND_COLORS[kind.ordinal()]);
            g.fillRect(lx, ly - 9, 18, 4);
            g.setColor(Color.BLACK);
            g.drawString(kind.label, lx + 24, ly - 3);
            lx += 44 + g.getFontMetrics().stringWidth(kind.label);
        }
        g.setColor(ERRORS);
        g.fillRect(lx, ly - 12, 10, 10);
        g.setColor(Color.BLACK);
        g.drawString("failed requests", lx + 16, ly - 3);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    /** Maps a value to a pixel coordinate. */
    @FunctionalInterface
    private interface Scale {
        double at(double value);
    }

    /** 1, 2 or 5 times a power of ten, at least {@code v}. */
    static double niceCeiling(double v) {
        double power = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * power >= v) {
                return m * power;
            }
        }
        return 10 * power;
    }
}
