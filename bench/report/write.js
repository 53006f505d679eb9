export async function writeReport() { return 'nothing (report writer pending)' }
