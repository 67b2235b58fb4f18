package org.pgha.spring.app;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A small chart application, as a hospital team would write one, for the starter's cluster test. */
@SpringBootApplication
public class ChartApplication {
}
