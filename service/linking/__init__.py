"""Linking with open-data publishers: publishing a DCAT catalogue, VoID and dumps (`publish`), and
enriching bodies from the publishers' SPARQL endpoints (`enrich`)."""
