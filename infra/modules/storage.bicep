// The storage account: devopsbot's tables, the Functions host's own state, and the Flex deployment container.

@description('Azure region.')
param location string

@description('Tags applied to the account.')
param tags object

@description('Storage account name (3-24 lower-case letters and digits).')
param name string

@description('Blob container the Flex Consumption plan deploys the app package from.')
param deploymentContainerName string

@description('Replication: LRS is offered in every region; ZRS keeps the incident record through a zone outage where the region has availability zones.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string = 'Standard_LRS'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    // checkov:skip=CKV_AZURE_35: no virtual network in this deployment; shared keys are off, so every request needs an Entra token and an RBAC role
    // checkov:skip=CKV_AZURE_59: the Flex Consumption app reaches storage without a private network; access is identity-only (shared keys off)
    // checkov:skip=CKV_AZURE_206: replication is the storageSku parameter: LRS by default because not every Flex Consumption region has zones; ZRS or GZRS where offered
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
// The static website serving the public status page from $web (enabled after provisioning: see azure.yaml).
output webEndpoint string = account.properties.primaryEndpoints.web
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
