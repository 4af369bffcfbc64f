"""Getting data in: RDF files now; spreadsheets through one declarative mapping later."""
