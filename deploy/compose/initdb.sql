-- One database per service (each service owns its data), created on the first start.
CREATE DATABASE enrolment;
CREATE DATABASE indicators;
CREATE DATABASE reporting;
CREATE DATABASE gateway;
